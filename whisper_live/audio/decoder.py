"""A session's audio input: wire frames in any accepted format and rate, out as 16 kHz float32 samples.

One :class:`AudioDecoder` lives as long as the session it reads for (across its connections, when a
session is resumed), because resampling carries state from one frame to the next: a frame's last
samples are only resampled once the next frame's first ones are known. :meth:`AudioDecoder.flush` gives
that tail at the end of the audio.
"""

from __future__ import annotations

import numpy as np

from whisper_live.protocol import (AUDIO_FORMATS, MAX_FRAME_SECONDS, SAMPLE_RATE, ProtocolError,
                                   decode_audio_frame, parse_sample_rate)


class AudioDecoder:
    """``decode(frame) -> float32 samples at 16 kHz``; raises :class:`~whisper_live.protocol.ProtocolError`
    for a frame that is not whole samples, holds NaN, or is longer than ``max_frame_seconds`` of audio."""

    def __init__(self, audio_format: str = "float32", sample_rate: int = SAMPLE_RATE,
                 max_frame_seconds: float = MAX_FRAME_SECONDS):
        if audio_format not in AUDIO_FORMATS:
            raise ProtocolError(f"unknown audio_format {audio_format!r}: use one of {', '.join(AUDIO_FORMATS)}")
        self.audio_format = audio_format
        self.sample_rate = parse_sample_rate(sample_rate)
        self.max_frame_seconds = max_frame_seconds
        self.itemsize = AUDIO_FORMATS[audio_format].itemsize
        self.received_samples = 0  # at sample_rate, in every frame decoded so far
        self._resampler = None
        if self.sample_rate != SAMPLE_RATE:
            from whisper_live.audio.resample import Resampler  # PyAV: only for audio that needs it

            self._resampler = Resampler(self.sample_rate)

    def seconds(self, nbytes: int) -> float:
        """How much audio ``nbytes`` of this format hold."""
        return nbytes / self.itemsize / self.sample_rate

    @property
    def received_seconds(self) -> float:
        """Seconds of audio in the frames decoded so far (as sent, before resampling)."""
        return self.received_samples / self.sample_rate

    def decode(self, frame: bytes) -> np.ndarray:
        samples = decode_audio_frame(frame, self.audio_format, self.sample_rate, self.max_frame_seconds)
        self.received_samples += len(samples)
        if self._resampler is None:
            return samples
        return self._resampler(samples)

    def flush(self) -> np.ndarray:
        """The resampler's last samples, at the end of the audio (none at 16 kHz)."""
        if self._resampler is None:
            return np.zeros(0, np.float32)
        return self._resampler.flush()
