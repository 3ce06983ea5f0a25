"""What a client needs to resume a session after its connection dropped: the audio it sent lately, and
when to try again.

The server reports on a resume how much audio it holds (``audio_received``); the client sends again
from there, so it keeps what it sent (and what it captures while reconnecting) for up to the server's
resume timeout.
"""

from __future__ import annotations

import collections
from typing import Iterator

from whisper_live.protocol import SAMPLE_RATE

# Waits (s) between reconnection attempts: doubling from the first, never above the last.
FIRST_RETRY = 0.25
LONGEST_RETRY = 4.0


class AudioHistory:
    """The encoded frames sent (or to be sent) of the last ``seconds``, by sample position (at the rate
    they are sent at)."""

    def __init__(self, seconds: float, itemsize: int, sample_rate: int = SAMPLE_RATE):
        self.limit = int(seconds * sample_rate)
        self.itemsize = itemsize
        self._frames: collections.deque = collections.deque()  # (first sample, frame bytes)
        self.end = 0  # samples in every frame added so far
        self._held = 0

    def add(self, frame: bytes) -> None:
        samples = len(frame) // self.itemsize
        self._frames.append((self.end, frame))
        self.end += samples
        self._held += samples
        while self._frames and self._held - len(self._frames[0][1]) // self.itemsize >= self.limit:
            _, old = self._frames.popleft()
            self._held -= len(old) // self.itemsize

    @property
    def start(self) -> int:
        """The first sample still held."""
        return self._frames[0][0] if self._frames else self.end

    def since(self, sample: int) -> Iterator[bytes]:
        """The frames from ``sample`` on (the first one cut to start there)."""
        for first, frame in list(self._frames):
            last = first + len(frame) // self.itemsize
            if last <= sample:
                continue
            skip = max(0, sample - first) * self.itemsize
            yield frame[skip:]


def retry_delays(window: float) -> Iterator[float]:
    """Waits before each attempt, doubling, until they add up to ``window`` seconds."""
    delay, total = FIRST_RETRY, 0.0
    while total + delay <= window:
        yield delay
        total += delay
        delay = min(LONGEST_RETRY, delay * 2)
