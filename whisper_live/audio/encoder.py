"""A client's audio output: 16 kHz float32 samples in, wire frames in the chosen format and rate out.

The inverse of :class:`~whisper_live.audio.decoder.AudioDecoder`: :class:`AudioEncoder` resamples (with
state across chunks, so :meth:`AudioEncoder.flush` gives the tail at the end) and encodes, e.g. to G.711
mu-law at 8 kHz, the audio a telephone line carries.
"""

from __future__ import annotations

from typing import Optional

import numpy as np

from whisper_live.protocol import AUDIO_FORMATS, SAMPLE_RATE, ProtocolError, encode_audio_frame, parse_sample_rate

# The rate each codec is sent at unless asked otherwise: G.711 is telephone audio, 8 kHz; Opus is encoded at
# 16 kHz, the rate the model hears (whisper_live.audio.opus_encoder).
CODEC_RATES = {"mulaw": 8000, "alaw": 8000, "opus": SAMPLE_RATE}
# A frame of PCM or G.711 holds at most this many seconds (the server takes up to 10 s).
MAX_FRAME_SECONDS = 5


def open_encoder(audio_format: str = "float32", sample_rate: Optional[int] = None, bitrate_kbps: int = 24):
    """The encoder of a client's audio: :class:`AudioEncoder`, or for ``opus`` an
    :class:`~whisper_live.audio.opus_encoder.OpusEncoder` at ``bitrate_kbps``. Both give ``frames(samples)``
    and ``flush_frames()``, lists of binary frames to send, and ``samples_in(frame)``."""
    if audio_format == "opus":
        from whisper_live.audio.opus_encoder import OpusEncoder

        return OpusEncoder(bitrate_kbps, sample_rate=sample_rate or SAMPLE_RATE)
    return AudioEncoder(audio_format, sample_rate)


class AudioEncoder:
    """``encode(samples at 16 kHz) -> bytes`` of ``audio_format`` at ``sample_rate``."""

    def __init__(self, audio_format: str = "float32", sample_rate: Optional[int] = None):
        if audio_format not in AUDIO_FORMATS:
            raise ProtocolError(f"unknown audio_format {audio_format!r}: use one of {', '.join(AUDIO_FORMATS)}")
        self.audio_format = audio_format
        self.sample_rate = parse_sample_rate(sample_rate or CODEC_RATES.get(audio_format, SAMPLE_RATE))
        self.itemsize = AUDIO_FORMATS[audio_format].itemsize
        self._resampler = None
        if self.sample_rate != SAMPLE_RATE:
            from whisper_live.audio.resample import Resampler

            self._resampler = Resampler(SAMPLE_RATE, self.sample_rate)

    def encode(self, samples: np.ndarray) -> bytes:
        samples = np.asarray(samples, dtype=np.float32)
        if self._resampler is not None:
            samples = self._resampler(samples)
        return encode_audio_frame(samples, self.audio_format) if samples.size else b""

    def flush(self) -> bytes:
        """The resampler's last samples, encoded, at the end of the audio."""
        if self._resampler is None:
            return b""
        tail = self._resampler.flush()
        return encode_audio_frame(tail, self.audio_format) if tail.size else b""

    def frames(self, samples: np.ndarray) -> list[bytes]:
        """:meth:`encode` as binary frames of at most MAX_FRAME_SECONDS each."""
        step = SAMPLE_RATE * MAX_FRAME_SECONDS
        frames = [self.encode(samples[i:i + step]) for i in range(0, len(samples), step)]
        return [f for f in frames if f]

    def flush_frames(self) -> list[bytes]:
        tail = self.flush()
        return [tail] if tail else []

    def samples_in(self, frame: bytes) -> int:
        return len(frame) // self.itemsize
