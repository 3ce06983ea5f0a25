"""The rooms' fan-out thread: runs what publishers post, in order, away from their threads.

A publisher (a session's model results arrive on an inference worker) only appends to the inbox and
notifies: O(1), whatever number of readers follow its room. This one thread turns the posts into transcript
lines and offers them to every reader's queue, and every ``tick`` seconds runs ``on_tick`` (the rooms'
linger). Started by :meth:`start`, stopped and joined by :meth:`stop`.
"""

from __future__ import annotations

import logging
import threading
from collections import deque
from typing import Callable, Optional

log = logging.getLogger(__name__)


class FanOut:
    def __init__(self, on_tick: Callable[[], None], tick: float = 1.0):
        self._on_tick = on_tick
        self._tick = tick
        self._inbox: deque = deque()
        self._wakeup = threading.Condition()
        self._stopping = False
        self._thread: Optional[threading.Thread] = None

    def post(self, work: Callable, *args) -> None:
        """Run ``work(*args)`` on the fan-out thread, after what was posted before."""
        with self._wakeup:
            self._inbox.append((work, args))
            self._wakeup.notify()

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
        while True:
            with self._wakeup:
                if not self._inbox and not self._stopping:
                    self._wakeup.wait(self._tick)
                work, self._inbox = self._inbox, deque()
                stopping = self._stopping
            for job, args in work:
                try:
                    job(*args)
                except Exception:  # one bad post must not end every room's fan-out
                    log.exception("room fan-out failed")
            try:
                self._on_tick()
            except Exception:
                log.exception("room sweep failed")
            if stopping:
                return
