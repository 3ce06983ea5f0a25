"""Real-time pacing of file audio: a client sends a file no faster than a chosen multiple of real time."""

from __future__ import annotations

import time

from whisper_live.protocol import SAMPLE_RATE


class Pacer:
    """Keeps file audio at ``speed`` times real time (speed <= 0: as fast as possible)."""

    def __init__(self, speed: float):
        self.speed = speed
        self.start = time.monotonic()
        self.seconds = 0.0

    def after(self, samples: int) -> None:
        self.seconds += samples / SAMPLE_RATE
        if self.speed > 0:
            ahead = self.start + self.seconds / self.speed - time.monotonic()
            if ahead > 0:
                time.sleep(ahead)
