"""Saving the audio that was sent (the microphone recording) as a 16-bit 16 kHz mono WAV file."""

from __future__ import annotations

import wave
from pathlib import Path

import numpy as np

from whisper_live.protocol import SAMPLE_RATE


class Recorder:
    def __init__(self, path: str):
        self.path = Path(path)
        if not self.path.parent.exists():
            self.path.parent.mkdir(parents=True, exist_ok=True)
        self._wav = wave.open(str(self.path), "wb")
        self._wav.setnchannels(1)
        self._wav.setsampwidth(2)
        self._wav.setframerate(SAMPLE_RATE)
        self.seconds = 0.0

    def write(self, chunk: np.ndarray) -> None:
        pcm = (np.clip(chunk, -1.0, 1.0) * 32767.0).round().astype("<i2")
        self._wav.writeframes(pcm.tobytes())
        self.seconds += chunk.size / SAMPLE_RATE

    def close(self) -> None:
        if self._wav is not None:
            self._wav.close()
            self._wav = None
