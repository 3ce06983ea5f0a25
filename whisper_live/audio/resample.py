"""Any PCM (rate, channels, int or float) to 16 kHz mono float32, with FFmpeg's resampler via PyAV."""

from __future__ import annotations

import av
import numpy as np

from whisper_live.protocol import SAMPLE_RATE

_LAYOUTS = {1: "mono", 2: "stereo"}


def to_float32(samples: np.ndarray) -> np.ndarray:
    """Integer PCM scaled to [-1, 1); float PCM passed through as float32."""
    samples = np.asarray(samples)
    if samples.dtype == np.int16:
        return samples.astype(np.float32) / 32768.0
    if samples.dtype == np.int32:
        return (samples.astype(np.float64) / 2147483648.0).astype(np.float32)
    if samples.dtype == np.uint8:
        return (samples.astype(np.float32) - 128.0) / 128.0
    return samples.astype(np.float32, copy=False)


class Resampler:
    """Stateful: feed consecutive blocks of one stream, then :meth:`flush` for the tail.

    Blocks are ``(frames,)`` or ``(frames, channels)`` arrays, as sounddevice delivers them; channels are
    mixed down to mono before resampling.
    """

    def __init__(self, rate: int, target_rate: int = SAMPLE_RATE):
        self.rate = int(rate)
        self.target_rate = int(target_rate)
        self._resampler = None if self.rate == self.target_rate else av.AudioResampler(
            format="flt", layout="mono", rate=self.target_rate)

    def __call__(self, block: np.ndarray) -> np.ndarray:
        mono = to_float32(block)
        if mono.ndim == 2:
            mono = mono.mean(axis=1, dtype=np.float32) if mono.shape[1] > 1 else mono[:, 0]
        mono = np.ascontiguousarray(mono, dtype=np.float32)
        if self._resampler is None or mono.size == 0:
            return mono.copy() if self._resampler is None else np.zeros(0, np.float32)
        frame = av.AudioFrame.from_ndarray(mono.reshape(1, -1), format="flt", layout="mono")
        frame.sample_rate = self.rate
        return _concat(self._resampler.resample(frame))

    def flush(self) -> np.ndarray:
        if self._resampler is None:
            return np.zeros(0, np.float32)
        return _concat(self._resampler.resample(None))


def _concat(frames) -> np.ndarray:
    parts = [f.to_ndarray().reshape(-1) for f in frames]
    return np.concatenate(parts).astype(np.float32, copy=False) if parts else np.zeros(0, np.float32)
