"""Opus packets to 16 kHz mono float32 for one session, with FFmpeg's Opus decoder and resampler (PyAV).

An Opus decoder always runs at 48 kHz, whatever rate the sender encoded at; its frames are mixed down
and resampled to 16 kHz in one step. :class:`OpusHead` reads the identification header that Ogg and
WebM carry (channels, the encoder's pre-skip); raw packets (WebCodecs' ``AudioEncoder``) come without
one and are decoded as mono with no pre-skip.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass
from typing import Optional

import av
import numpy as np

from whisper_live.protocol import SAMPLE_RATE, ProtocolError

OPUS_RATE = 48000  # an Opus decoder's output rate
# An Opus packet holds at most 120 ms of audio in at most 48 frames of at most 1275 bytes (RFC 6716, 3.2).
MAX_PACKET_BYTES = 48 * 1275
MAX_PACKET_SAMPLES = OPUS_RATE * 120 // 1000


@dataclass(frozen=True)
class OpusHead:
    """The identification header of an Ogg or WebM Opus stream (RFC 7845, 5.1)."""

    raw: bytes
    channels: int
    pre_skip: int  # samples at 48 kHz the decoder drops at the start

    @classmethod
    def parse(cls, data: bytes, where: str) -> "OpusHead":
        if len(data) < 19 or not data.startswith(b"OpusHead"):
            raise ProtocolError(f"the {where} stream does not hold Opus: its codec header is not an OpusHead")
        version, channels, pre_skip, _rate, _gain, family = struct.unpack_from("<BBHIhB", data, 8)
        if version >> 4 != 0:
            raise ProtocolError(f"the {where} stream's OpusHead has version {version}: only version 0.x is read")
        if channels == 0 or (family == 0 and channels > 2):
            raise ProtocolError(f"the {where} stream's OpusHead declares {channels} channels with mapping "
                                f"family {family}")
        return cls(bytes(data), channels, pre_skip)


class OpusPacketDecoder:
    """``decode(packet) -> float32 samples at 16 kHz``; ``received_samples`` counts the decoded audio at 48 kHz.

    Raises :class:`~whisper_live.protocol.ProtocolError` for a packet the decoder refuses, naming it by its
    position in the stream.
    """

    def __init__(self, head: Optional[OpusHead] = None):
        self._codec = av.CodecContext.create("libopus" if "libopus" in av.codecs_available else "opus", "r")
        self._codec.sample_rate = OPUS_RATE
        if head is not None:
            self._codec.extradata = head.raw  # FFmpeg then drops the pre-skip itself
            self._codec.layout = "stereo" if head.channels == 2 else "mono"
        else:
            self._codec.layout = "mono"  # libopus mixes stereo packets down
        self._resampler = av.AudioResampler(format="flt", layout="mono", rate=SAMPLE_RATE)
        self.packets = 0
        self.received_samples = 0  # decoded, at 48 kHz

    def decode(self, packet: bytes) -> np.ndarray:
        self.packets += 1
        if not packet:
            raise ProtocolError(f"Opus packet {self.packets} is empty")
        if len(packet) > MAX_PACKET_BYTES:
            raise ProtocolError(f"Opus packet {self.packets} has {len(packet)} bytes, more than an Opus packet "
                                f"can ({MAX_PACKET_BYTES}): send one packet per binary frame")
        try:
            frames = self._codec.decode(av.Packet(packet))
        except av.error.FFmpegError as exc:
            raise ProtocolError(f"Opus packet {self.packets} ({len(packet)} bytes) is corrupt: the decoder "
                                f"refused it ({exc.strerror or exc})") from None
        parts = []
        for frame in frames:
            self.received_samples += frame.samples
            parts.extend(f.to_ndarray().reshape(-1) for f in self._resampler.resample(frame))
        return _joined(parts)

    @property
    def received_seconds(self) -> float:
        return self.received_samples / OPUS_RATE

    def flush(self) -> np.ndarray:
        """What the resampler held back, at the end of the audio."""
        return _joined([f.to_ndarray().reshape(-1) for f in self._resampler.resample(None)])


def _joined(parts: list) -> np.ndarray:
    if not parts:
        return np.zeros(0, np.float32)
    return np.concatenate(parts).astype(np.float32, copy=False) if len(parts) > 1 else parts[0].astype(
        np.float32, copy=False)
