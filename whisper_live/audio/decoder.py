"""A session's audio input: wire frames in any accepted format and rate, out as 16 kHz float32 samples.

One :class:`AudioDecoder` lives as long as the session it reads for (across its connections, when a
session is resumed), because resampling carries state from one frame to the next: a frame's last
samples are only resampled once the next frame's first ones are known. :meth:`AudioDecoder.flush` gives
that tail at the end of the audio.

Compressed formats (``opus``, ``webm``, ``ogg``) decode Opus with PyAV (:mod:`whisper_live.audio.opus`);
the containers are read by push parsers (:mod:`whisper_live.audio.ogg`, :mod:`whisper_live.audio.webm`)
that take frames cut anywhere. Their state belongs to one connection: a resumed connection starts a new
container, or a new run of packets, and :meth:`AudioDecoder.restart` starts a new decoder for it.
"""

from __future__ import annotations

from typing import Optional

import numpy as np

from whisper_live.protocol import (AUDIO_FORMATS, COMPRESSED_FORMATS, MAX_FRAME_SECONDS, SAMPLE_RATE,
                                   WIRE_FORMATS, ProtocolError, decode_audio_frame, parse_sample_rate)

# The rates an Opus encoder takes (RFC 6716, 2): the ``sample_rate`` of the ``opus`` format.
OPUS_INPUT_RATES = (8000, 12000, 16000, 24000, 48000)


class AudioDecoder:
    """``decode(frame) -> float32 samples at 16 kHz``; raises :class:`~whisper_live.protocol.ProtocolError`
    for a frame that is not whole samples, holds NaN, or is longer than ``max_frame_seconds`` of audio, and
    for a compressed stream that is corrupt or truncated."""

    def __init__(self, audio_format: str = "float32", sample_rate: int = SAMPLE_RATE,
                 max_frame_seconds: float = MAX_FRAME_SECONDS):
        if audio_format not in WIRE_FORMATS:
            raise ProtocolError(f"unknown audio_format {audio_format!r}: use one of {', '.join(WIRE_FORMATS)}")
        self.audio_format = audio_format
        self.sample_rate = parse_sample_rate(sample_rate)
        self.max_frame_seconds = max_frame_seconds
        self.compressed = audio_format in COMPRESSED_FORMATS
        self.itemsize: Optional[int] = None if self.compressed else AUDIO_FORMATS[audio_format].itemsize
        self.received_samples = 0  # at sample_rate, in every frame decoded so far
        self._resampler = None
        self._opus = None  # the current connection's CompressedInput
        self._opus_seconds = 0.0  # decoded by former connections' CompressedInputs
        if self.compressed:
            if audio_format == "opus" and self.sample_rate not in OPUS_INPUT_RATES:
                raise ProtocolError(f"sample_rate {self.sample_rate} is not an Opus rate: use one of "
                                    f"{', '.join(map(str, OPUS_INPUT_RATES))} (48000 as WebCodecs gives)")
            self._opus = CompressedInput(audio_format)
        elif self.sample_rate != SAMPLE_RATE:
            from whisper_live.audio.resample import Resampler  # PyAV: only for audio that needs it

            self._resampler = Resampler(self.sample_rate)

    def seconds(self, nbytes: int) -> float:
        """How much audio ``nbytes`` of this (PCM) format hold."""
        return nbytes / self.itemsize / self.sample_rate

    @property
    def received_seconds(self) -> float:
        """Seconds of audio in the frames decoded so far (as sent, before resampling)."""
        if self._opus is not None:
            return self._opus_seconds + self._opus.received_seconds
        return self.received_samples / self.sample_rate

    def decode(self, frame: bytes) -> np.ndarray:
        if self._opus is not None:
            before = self._opus.received_seconds
            samples = self._opus.decode(frame)
            if self._opus.received_seconds - before > self.max_frame_seconds:
                raise ProtocolError(f"audio frame of {len(frame)} bytes holds more than {self.max_frame_seconds:g} s "
                                    f"of audio; send smaller frames")
            return samples
        samples = decode_audio_frame(frame, self.audio_format, self.sample_rate, self.max_frame_seconds)
        self.received_samples += len(samples)
        if self._resampler is None:
            return samples
        return self._resampler(samples)

    def flush(self, complete: bool = False) -> np.ndarray:
        """The resampler's last samples, at the end of the audio (none at 16 kHz). With ``complete`` (the
        client said the audio is over), raises ProtocolError when a compressed stream ends inside a page,
        element or packet."""
        if self._opus is not None:
            return self._opus.finish(complete)
        if self._resampler is None:
            return np.zeros(0, np.float32)
        return self._resampler.flush()

    def restart(self) -> np.ndarray:
        """A new connection of the session: a compressed format starts a new decoder (the new connection
        sends a new container, or packets a fresh decoder can start from), and the samples the former one
        held back are returned, so that the session holds all of its audio. PCM decoding goes on as is."""
        if self._opus is None:
            return np.zeros(0, np.float32)
        tail = self._opus.resampler_tail()
        self._opus_seconds += self._opus.received_seconds
        self._opus = CompressedInput(self.audio_format)
        return tail


class CompressedInput:
    """One connection's Opus input: raw packets, or a container read into packets, decoded to 16 kHz."""

    def __init__(self, audio_format: str):
        from whisper_live.audio.opus import OpusPacketDecoder

        self.audio_format = audio_format
        self._reader = None
        self._decoder = None
        if audio_format == "opus":
            self._decoder = OpusPacketDecoder()
        elif audio_format == "ogg":
            from whisper_live.audio.ogg import OggOpusReader

            self._reader = OggOpusReader()
        else:
            from whisper_live.audio.webm import WebmOpusReader

            self._reader = WebmOpusReader()

    @property
    def received_seconds(self) -> float:
        return self._decoder.received_seconds if self._decoder is not None else 0.0

    def decode(self, frame: bytes) -> np.ndarray:
        if self._reader is None:
            return self._decoder.decode(frame)
        packets = self._reader.feed(frame)
        if not packets:
            return np.zeros(0, np.float32)
        if self._decoder is None:
            from whisper_live.audio.opus import OpusPacketDecoder

            self._decoder = OpusPacketDecoder(self._reader.head)
        parts = [self._decoder.decode(packet) for packet in packets]
        return np.concatenate(parts) if len(parts) > 1 else parts[0]

    def finish(self, complete: bool) -> np.ndarray:
        if complete and self._reader is not None:
            self._reader.finish()
        return self.resampler_tail()

    def resampler_tail(self) -> np.ndarray:
        return self._decoder.flush() if self._decoder is not None else np.zeros(0, np.float32)
