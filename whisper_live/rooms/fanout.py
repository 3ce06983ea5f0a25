"""The rooms' fan-out thread: runs what publishers post, in order, away from their threads.

A publisher (a session's model results arrive on an inference worker) only appends to the inbox and
notifies: O(1), whatever number of readers follow its room. This one thread turns the posts into transcript
lines and offers them to every reader's queue, runs what was posted for a later time once it is due (the
rooms' held partials), and every ``tick`` seconds runs ``on_tick`` (the rooms' linger). Started by
:meth:`start`, stopped and joined by :meth:`stop`.

What the thread does for what was posted together is a *burst*. :meth:`at_burst_end` lets a reader's wake-up
wait for the end of the burst, so that whatever serves thousands of readers is told once per burst (one
call, after every reader's queue was filled) rather than once per reader while the thread still fills them.
"""

from __future__ import annotations

import heapq
import itertools
import logging
import threading
import time
from collections import deque
from typing import Callable, Optional

log = logging.getLogger(__name__)


class FanOut:
    def __init__(self, on_tick: Callable[[], None], tick: float = 1.0):
        self._on_tick = on_tick
        self._tick = tick
        self._inbox: deque = deque()
        self._timed: list = []  # heap of (monotonic time, order, work, args)
        self._order = itertools.count()
        self._wakeup = threading.Condition()
        self._stopping = False
        self._thread: Optional[threading.Thread] = None
        self._burst_end: dict[Callable[[], None], None] = {}  # (fan-out thread only) to call once at burst end

    def post(self, work: Callable, *args) -> None:
        """Run ``work(*args)`` on the fan-out thread, after what was posted before."""
        with self._wakeup:
            self._inbox.append((work, args))
            self._wakeup.notify()

    def post_at(self, when: float, work: Callable, *args) -> None:
        """Run ``work(*args)`` on the fan-out thread once ``time.monotonic()`` reaches ``when``."""
        with self._wakeup:
            heapq.heappush(self._timed, (when, next(self._order), work, args))
            self._wakeup.notify()

    def at_burst_end(self, call: Callable[[], None]) -> None:
        """Call ``call()`` once at the end of the burst the fan-out thread is running (however many times it
        was asked for in it) when called from that thread; at once from any other."""
        if threading.current_thread() is self._thread:
            self._burst_end[call] = None
        else:
            call()

    def start(self) -> None:
        with self._wakeup:
            if self._thread is not None or self._stopping:
                return
            self._thread = threading.Thread(target=self._run, name="rooms-fanout", daemon=True)
            self._thread.start()

    def stop(self, timeout: float = 5.0) -> None:
        """Run what was posted, then end the thread and join it."""
        with self._wakeup:
            self._stopping = True
            self._wakeup.notify()
            thread = self._thread
        if thread is not None:
            thread.join(timeout)

    @property
    def running(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def _run(self) -> None:
        next_tick = time.monotonic() + self._tick
        while True:
            with self._wakeup:
                now = time.monotonic()
                if not self._inbox and not self._stopping and not self._due(now):
                    until = min(next_tick, self._timed[0][0]) if self._timed else next_tick
                    self._wakeup.wait(max(0.0, until - now))
                    now = time.monotonic()
                work, self._inbox = self._inbox, deque()
                while self._due(now):
                    _, _, job, args = heapq.heappop(self._timed)
                    work.append((job, args))
                stopping = self._stopping
            for job, args in work:
                self._call(job, args, "room fan-out failed")  # one bad post must not end every room's fan-out
            if now >= next_tick or stopping:
                next_tick = now + self._tick
                self._call(self._on_tick, (), "room sweep failed")
            calls, self._burst_end = list(self._burst_end), {}
            for call in calls:
                self._call(call, (), "waking readers failed")
            if stopping:
                return

    def _due(self, now: float) -> bool:
        return bool(self._timed) and self._timed[0][0] <= now

    @staticmethod
    def _call(job: Callable, args: tuple, failure: str) -> None:
        try:
            job(*args)
        except Exception:
            log.exception(failure)
