"""Kaldi-style log mel filterbank features (80 bins, 25 ms frames every 10 ms) in numpy, mean-normalised.

This is the input CAM++ was trained on (3D-Speaker computes it with Kaldi's fbank: no dither, pre-emphasis
0.97, DC removal, Povey window, FFT size rounded up to 512, mel bins from 20 Hz to Nyquist, power spectrum,
natural log). Features are normalised by subtracting their mean over the clip, which also makes them
independent of the audio's scale.
"""

from __future__ import annotations

import functools

import numpy as np

SAMPLE_RATE = 16000
FRAME_SAMPLES = 400  # 25 ms
HOP_SAMPLES = 160  # 10 ms
FFT_SIZE = 512
MEL_BINS = 80
LOW_HZ = 20.0
PREEMPHASIS = 0.97
_LOG_FLOOR = float(np.finfo(np.float32).eps)


def _mel(hz):
    return 1127.0 * np.log(1.0 + np.asarray(hz, dtype=np.float64) / 700.0)


@functools.lru_cache(maxsize=1)
def mel_banks() -> np.ndarray:
    """(FFT_SIZE // 2 + 1, MEL_BINS) triangular weights, equally spaced on Kaldi's mel scale."""
    fft_bins = FFT_SIZE // 2
    low, high = _mel(LOW_HZ), _mel(SAMPLE_RATE / 2)
    delta = (high - low) / (MEL_BINS + 1)
    left = low + delta * np.arange(MEL_BINS)[:, None]
    centre, right = left + delta, left + 2 * delta
    bin_mel = _mel(np.arange(fft_bins) * SAMPLE_RATE / FFT_SIZE)[None, :]
    up = (bin_mel - left) / (centre - left)
    down = (right - bin_mel) / (right - centre)
    banks = np.maximum(0.0, np.minimum(up, down))
    banks = np.concatenate([banks, np.zeros((MEL_BINS, 1))], axis=1)  # the Nyquist bin has no weight
    return banks.T.astype(np.float32)


@functools.lru_cache(maxsize=1)
def _window() -> np.ndarray:
    n = np.arange(FRAME_SAMPLES)
    return ((0.5 - 0.5 * np.cos(2 * np.pi * n / (FRAME_SAMPLES - 1))) ** 0.85).astype(np.float32)


def frame_count(samples: int) -> int:
    return 0 if samples < FRAME_SAMPLES else 1 + (samples - FRAME_SAMPLES) // HOP_SAMPLES


def fbank(audio: np.ndarray) -> np.ndarray:
    """(frames, 80) float32 features of 16 kHz mono ``audio``, mean-normalised; (0, 80) if under 25 ms."""
    audio = np.asarray(audio, dtype=np.float32)
    count = frame_count(len(audio))
    if count == 0:
        return np.zeros((0, MEL_BINS), dtype=np.float32)
    index = np.arange(FRAME_SAMPLES)[None, :] + HOP_SAMPLES * np.arange(count)[:, None]
    frames = audio[index]
    frames = frames - frames.mean(axis=1, keepdims=True)
    previous = np.concatenate([frames[:, :1], frames[:, :-1]], axis=1)
    frames = (frames - PREEMPHASIS * previous) * _window()
    power = np.abs(np.fft.rfft(frames, n=FFT_SIZE, axis=1)) ** 2
    features = np.log(np.maximum(power.astype(np.float32) @ mel_banks(), _LOG_FLOOR))
    return (features - features.mean(axis=0, keepdims=True)).astype(np.float32)
