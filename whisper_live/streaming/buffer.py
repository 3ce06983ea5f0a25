"""A stream's audio still needed: appended at the end, let go of at the front, without copying it per frame.

The samples live in one array with room to spare: a frame is written after the last sample (when there is no
room, the live samples move to the array's front, or to a new array twice their size when they fill half of
it), and letting go of the front only moves where the live samples begin. So adding a frame costs the frame's length, not the buffer's (a stream holds up to
45 s), and the array changes rarely, which keeps the C library from mapping and unmapping pages per frame.
"""

from __future__ import annotations

import numpy as np

MIN_CAPACITY = 16000 * 4  # samples: the first array holds 4 s


class AudioBuffer:
    """Samples ``start`` to ``end`` (absolute sample indices of the stream) of one stream's audio."""

    def __init__(self):
        self._data = np.zeros(0, dtype=np.float32)
        self._head = 0  # index in _data of sample ``start``
        self._tail = 0  # index in _data after the last sample
        self.start = 0  # sample index of the first sample held

    def __len__(self) -> int:
        return self._tail - self._head

    @property
    def end(self) -> int:
        """Sample index after the last sample held."""
        return self.start + len(self)

    def append(self, samples: np.ndarray) -> None:
        n = len(samples)
        if self._tail + n > len(self._data):
            live = len(self)
            if 2 * (live + n) <= len(self._data):  # room enough once the live samples move to the front
                data = self._data
            else:
                data = np.empty(max(MIN_CAPACITY, 2 * (live + n)), dtype=np.float32)
            data[:live] = self._data[self._head:self._tail]
            self._data, self._head, self._tail = data, 0, live
        self._data[self._tail:self._tail + n] = samples
        self._tail += n

    def drop_before(self, sample: int) -> None:
        """Let go of the samples before ``sample`` (at most all of them)."""
        cut = min(max(0, sample - self.start), len(self))
        self._head += cut
        self.start += cut

    def samples(self, begin: int, end: int) -> np.ndarray:
        """A copy of samples ``begin`` to ``end`` (absolute; clipped to what is held)."""
        lo = max(begin, self.start) - self.start + self._head
        hi = min(end, self.end) - self.start + self._head
        return self._data[lo:max(lo, hi)].copy()
