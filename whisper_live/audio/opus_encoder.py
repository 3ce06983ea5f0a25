"""A client's Opus output: 16 kHz float32 samples in, raw Opus packets out (libopus via PyAV), at a bitrate
that may change from one packet to the next.

The audio is encoded at 16 kHz, the rate the model hears: Opus then codes speech up to 8 kHz (wideband)
and spends no bits above it, and the client resamples nothing. Each packet holds ``frame_ms`` of audio (60
ms by default: a third of the WebSocket and TCP/IP headers of 20 ms packets, which matters on a slow link).

FFmpeg fixes an Opus encoder's bitrate when it opens, so :meth:`OpusEncoder.set_bitrate` opens a new
encoder and gives it again the last :data:`LOOKAHEAD_SECONDS` of audio, which the former one held back: no
audio is lost, and the decoder (which never restarts) hears a few milliseconds of the new encoder's
start-up in between.
"""

from __future__ import annotations

import av
import numpy as np

from whisper_live.protocol import SAMPLE_RATE

# libopus' lookahead: 2.5 ms of the analysis window plus 4 ms of delay compensation (non-low-delay modes).
LOOKAHEAD_SECONDS = 0.0065
MIN_KBPS, MAX_KBPS = 6, 256


class OpusEncoder:
    """``frames(samples at 16 kHz) -> [Opus packets]``; every packet holds :attr:`frame_samples` samples."""

    audio_format = "opus"

    def __init__(self, bitrate_kbps: int = 24, frame_ms: int = 60, sample_rate: int = SAMPLE_RATE):
        if frame_ms not in (10, 20, 40, 60):
            raise ValueError(f"frame_ms must be 10, 20, 40 or 60, not {frame_ms!r}")
        self.sample_rate = sample_rate
        self.frame_ms = frame_ms
        self.frame_samples = sample_rate * frame_ms // 1000
        self._lookahead = int(round(LOOKAHEAD_SECONDS * sample_rate))
        self._pending = np.zeros(0, np.float32)  # samples not yet a whole frame
        self._recent = np.zeros(0, np.float32)  # the last lookahead samples given to the encoder
        self.bitrate_kbps = 0
        self._codec = None
        self.set_bitrate(bitrate_kbps)

    def set_bitrate(self, kbps: int) -> None:
        """Encode from the next packet on at ``kbps`` kbit/s."""
        kbps = int(kbps)
        if not MIN_KBPS <= kbps <= MAX_KBPS:
            raise ValueError(f"an Opus bitrate is {MIN_KBPS} to {MAX_KBPS} kbit/s, not {kbps}")
        if kbps == self.bitrate_kbps:
            return
        restarting = self._codec is not None
        self._codec = av.CodecContext.create("libopus", "w")
        self._codec.sample_rate = self.sample_rate
        self._codec.layout = "mono"
        self._codec.format = "flt"
        self._codec.bit_rate = kbps * 1000
        self._codec.options = {"application": "voip", "frame_duration": str(self.frame_ms)}
        self._codec.open()
        self.bitrate_kbps = kbps
        if restarting and self._recent.size:
            self._pending = np.concatenate([self._recent, self._pending])

    def frames(self, samples: np.ndarray) -> list[bytes]:
        """The packets of every whole frame so far; the rest waits for more samples (or :meth:`flush_frames`)."""
        samples = np.asarray(samples, dtype=np.float32).reshape(-1)
        pending = np.concatenate([self._pending, samples]) if self._pending.size else samples
        whole = len(pending) - len(pending) % self.frame_samples
        self._pending = pending[whole:].copy()
        packets: list[bytes] = []
        for start in range(0, whole, self.frame_samples):
            packets += self._encode(pending[start:start + self.frame_samples])
        if whole:
            self._recent = pending[max(0, whole - self._lookahead):whole].copy()
        return packets

    def flush_frames(self) -> list[bytes]:
        """The last packets: the partial frame padded with silence, then what the encoder held back."""
        packets = []
        if self._pending.size:
            last = np.zeros(self.frame_samples, np.float32)
            last[:self._pending.size] = self._pending
            self._pending = np.zeros(0, np.float32)
            packets += self._encode(last)
        packets += [bytes(p) for p in self._codec.encode(None)]
        return packets

    def _encode(self, frame_samples: np.ndarray) -> list[bytes]:
        frame = av.AudioFrame.from_ndarray(np.clip(frame_samples, -1.0, 1.0).reshape(1, -1), format="flt",
                                           layout="mono")
        frame.sample_rate = self.sample_rate
        return [bytes(p) for p in self._codec.encode(frame)]

    def samples_in(self, packet: bytes) -> int:
        """How many samples (at :attr:`sample_rate`) a packet of this encoder decodes to."""
        return self.frame_samples
