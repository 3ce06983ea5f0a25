"""One reader's queue: bounded, filled by the fan-out thread, emptied by whatever sends to the reader.

The rules that keep a slow reader from costing anyone else:

* offering an event never waits: it takes this reader's own lock only, for a few list operations;
* a partial replaces the pending partial of the same publisher (stale text in progress is dropped), and a
  completed line drops that publisher's pending partial (it is older than the line);
* completed lines are never dropped: a reader with more than ``max_pending`` of them unsent, or with one
  unsent for more than ``max_lag`` seconds (its connection has taken nothing for that long: its client
  stopped reading and the socket buffers are full), is *dropped* instead (closed with
  :data:`TOO_FAR_BEHIND`), and takes no more events;
* ``wake`` is called when the queue goes from empty to not empty (once, until the reader takes its events),
  so an idle reader costs the fan-out one call per burst, not one per event.
"""

from __future__ import annotations

import itertools
import threading
import time
from collections import OrderedDict, deque
from typing import Callable, Optional

from whisper_live.rooms.lines import Event, end_event

# Completed lines a reader may have unsent before it is dropped.
MAX_PENDING = 256
# Seconds a completed line may wait unsent before its reader is dropped.
MAX_LAG = 30.0
TOO_FAR_BEHIND = "too far behind: this reader did not keep up with the room and was dropped"
ROOM_ENDED = "the room ended"
SERVER_STOPPING = "the server is shutting down"

_ids = itertools.count(1)


class Reader:
    def __init__(self, room, wake: Optional[Callable[[], None]] = None, max_pending: int = MAX_PENDING,
                 max_lag: float = MAX_LAG, clock: Callable[[], float] = time.monotonic):
        self.id = next(_ids)
        self.room = room  # the Room it reads (whisper_live/rooms/room.py)
        self.max_pending = max_pending
        self.max_lag = max_lag
        self._clock = clock
        self._oldest: Optional[float] = None  # when the oldest unsent completed line was queued
        self._wake = wake
        self._lock = threading.Lock()
        self._completed: deque[Event] = deque()
        self._partials: "OrderedDict[int, Event]" = OrderedDict()  # publisher -> its latest partial
        self._signalled = False  # wake was called and the reader has not taken its events since
        self.closed: Optional[str] = None  # why the reader takes no more events (dropped, room ended)
        self._end: list[Event] = []  # the end event saying so, sent after everything else

    def offer(self, event: Event) -> bool:
        """Queue ``event``; False when the reader is closed (now or before) and should be forgotten."""
        return self.offer_all((event,))

    def offer_all(self, events) -> bool:
        """Queue ``events`` in order, under one taking of the lock; False when the reader is closed (now or
        before) and should be forgotten."""
        if not events:
            return self.closed is None
        with self._lock:
            for event in events:
                if not self._queue(event):
                    return False
            wake = self._take_signal()
        if wake is not None:
            wake()
        return True

    def close(self, reason: str) -> None:
        """No more events after the pending ones: the reader is sent an ``end`` event with ``reason``."""
        with self._lock:
            if self.closed is not None:
                return
            self._end.append(end_event(reason))
            self.closed = reason
            wake = self._take_signal()
        if wake is not None:
            wake()

    def take(self) -> list[Event]:
        """Every pending event, completed lines first (in order), then the latest partial of each publisher;
        after a drop, only the ``end`` event saying so. An empty list: nothing now."""
        with self._lock:
            events = list(self._completed) + list(self._partials.values()) + self._end
            self._completed.clear()
            self._partials.clear()
            self._end = []
            self._signalled = False
            self._oldest = None
            return events

    @property
    def pending(self) -> int:
        with self._lock:
            return len(self._completed) + len(self._partials)

    def _queue(self, event: Event) -> bool:
        """(lock held) Queue one event; False when the reader is closed, now or before."""
        if self.closed is not None:
            return False
        if self._oldest is not None and self._clock() - self._oldest > self.max_lag:
            self._close(TOO_FAR_BEHIND)
            return False
        if event.kind == "partial":
            self._partials.pop(event.publisher, None)
            self._partials[event.publisher] = event
        else:
            self._partials.pop(event.publisher, None)
            self._completed.append(event)
            if self._oldest is None:
                self._oldest = self._clock()
            if len(self._completed) > self.max_pending:
                self._close(TOO_FAR_BEHIND)
                return False
        return True

    def _close(self, reason: str) -> None:
        """(lock held) Drop what is pending: the reader gets only the reason it was closed."""
        self._completed.clear()
        self._partials.clear()
        self._end.append(end_event(reason))
        self.closed = reason
        self._signalled = False
        wake = self._take_signal()
        if wake is not None:  # (called with the lock held: wake callbacks only schedule, never wait)
            wake()

    def _take_signal(self) -> Optional[Callable[[], None]]:
        if self._signalled or self._wake is None:
            return None
        self._signalled = True
        return self._wake
