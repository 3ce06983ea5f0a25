"""One room: its publishers, its transcript in time order on the room's clock, its readers.

Nothing here starts a thread or waits: the registry's fan-out thread calls :meth:`Room.apply` and
:meth:`Room.leave` with what publishers posted, and the room offers the events to each reader's bounded queue
(whisper_live/rooms/reader.py) under the room's lock, so that a reader who joins sees every line once: the
backlog it is given and the live events after it never overlap nor leave a gap.

Text in progress changes with every window a publisher's stream transcribes; readers get at most one partial
per publisher every ``partial_every`` seconds (captions read no faster, and each partial costs a write to
every reader). One that comes sooner is held, the newer replacing the older, until the registry calls
:meth:`Room.release_partials` at the time :meth:`Room.take_release_due` gave it. A completed line is never
held: it goes at once, with the publisher's newest text in progress.
"""

from __future__ import annotations

import bisect
import threading
import time
from dataclasses import dataclass
from typing import Callable, Iterable, Optional

from whisper_live.rooms.lines import Event, Line, completed_event, partial_event
from whisper_live.rooms.reader import Reader

# Completed lines a room keeps (its transcript); the oldest go beyond this.
MAX_LINES = 100_000
# Completed lines a reader who joins late is sent first.
BACKLOG_LINES = 20
# Seconds between two partials of one publisher to the readers (the newest waits until then).
PARTIAL_EVERY = 0.5


@dataclass
class Publisher:
    """A session publishing into a room: its number in the room, its name, the wall time its stream began."""

    number: int
    speaker: str
    origin: float  # wall time (s since the epoch) of the publisher's stream time 0


class Room:
    def __init__(self, name: str, *, public: bool, reader_token: str, epoch: float,
                 partial_every: float = PARTIAL_EVERY, monotonic: Callable[[], float] = time.monotonic):
        self.name = name
        self.public = public
        self.reader_token = reader_token
        self.epoch = epoch  # wall time of the room's time 0
        self.lock = threading.Lock()
        self.publishers: dict[int, Publisher] = {}
        self._numbers = 0
        self.lines: list[Line] = []  # the transcript, by start time (then arrival)
        self._keys: list[tuple[float, int]] = []  # (start, seq) of each line, for bisect
        self.seq = 0  # completed lines so far
        self._partials: dict[int, Event] = {}  # each publisher's latest text in progress
        self.partial_every = partial_every
        self._monotonic = monotonic
        self._partial_next: dict[int, float] = {}  # publisher -> when its next partial may go to readers
        self._held: dict[int, Event] = {}  # publisher -> its newest partial, not sent yet
        self._release_due: Optional[float] = None  # a release for the registry to schedule, not taken yet
        self._release_scheduled = False  # one was taken and has not run yet
        self.readers: dict[int, Reader] = {}
        self.empty_since: Optional[float] = epoch  # wall time its last publisher left; None while one is in
        self.ended = False

    # --- publishers (the fan-out thread) ----------------------------------------------------------------

    def join(self, speaker: str, origin: float) -> Publisher:
        with self.lock:
            self._numbers += 1
            publisher = Publisher(self._numbers, speaker or f"Speaker {self._numbers}", origin)
            self.publishers[publisher.number] = publisher
            self.empty_since = None
            return publisher

    def apply(self, publisher: Publisher, completed: Iterable, partial: Iterable) -> list[Reader]:
        """A publisher's newly completed segments and its text in progress (anything with ``start``, ``end``,
        ``text``, and ``speaker`` from diarization, if any; times of the publisher's stream): into the
        transcript, and to every reader. Returns the readers dropped for being too far behind."""
        shift = publisher.origin - self.epoch
        events = []
        with self.lock:
            for segment in completed:
                text = segment.text.strip()
                if not text:
                    continue
                self.seq += 1
                line = Line(self.seq, publisher.number, publisher.speaker, segment.start + shift,
                            segment.end + shift, text, getattr(segment, "speaker", None))
                self._insert(line)
                events.append(completed_event(line))
            partial = [s for s in partial if s.text.strip()]
            text = " ".join(s.text.strip() for s in partial)
            start, end = (partial[0].start + shift, partial[-1].end + shift) if partial else (0.0, 0.0)
            event = partial_event(publisher.number, publisher.speaker, start, end, text)
            self._partials[publisher.number] = event
            now = self._monotonic()
            if events or now >= self._partial_next.get(publisher.number, now):
                self._held.pop(publisher.number, None)
                self._partial_next[publisher.number] = now + self.partial_every
                events.append(event)
            else:
                self._held[publisher.number] = event
                if not self._release_scheduled:
                    self._release_due = self._partial_next[publisher.number]
                    self._release_scheduled = True
            return self._fan_out(events) if events else []

    def take_release_due(self) -> Optional[float]:
        """When (``monotonic`` time) :meth:`release_partials` must run for the partials held now; None when it
        is already due to run (or nothing is held). Each time is given once."""
        with self.lock:
            due, self._release_due = self._release_due, None
            return due

    def release_partials(self) -> list[Reader]:
        """Send the held partials whose time has come; the others are due later (:meth:`take_release_due`).
        Returns the readers dropped for being too far behind."""
        with self.lock:
            now = self._monotonic()
            ready = [number for number in self._held if now >= self._partial_next[number]]
            events = [self._held.pop(number) for number in ready]
            for number in ready:
                self._partial_next[number] = now + self.partial_every
            self._release_scheduled = bool(self._held)
            self._release_due = min(self._partial_next[number] for number in self._held) if self._held else None
            return self._fan_out(events) if events else []

    def leave(self, publisher: Publisher, now: float) -> list[Reader]:
        """The publisher's session ended: its text in progress is cleared; the room's linger starts when it was
        the last one."""
        with self.lock:
            if self.publishers.pop(publisher.number, None) is None:
                return []
            self._partials.pop(publisher.number, None)
            self._held.pop(publisher.number, None)
            self._partial_next.pop(publisher.number, None)
            if not self.publishers:
                self.empty_since = now
            return self._fan_out([partial_event(publisher.number, publisher.speaker, 0.0, 0.0, "")])

    # --- readers ----------------------------------------------------------------------------------------

    def add_reader(self, reader: Reader, after_seq: Optional[int] = None, backlog: int = BACKLOG_LINES) -> None:
        """Give ``reader`` the last ``backlog`` completed lines (or, with ``after_seq``, every line that came
        after that one: a reconnecting reader) in time order, the text in progress, then the live events."""
        with self.lock:
            if after_seq is not None:
                missed = [line for line in self.lines if line.seq > after_seq]
            else:
                missed = self.lines[-backlog:] if backlog > 0 else []
            reader.offer_all([completed_event(line) for line in missed] + list(self._partials.values()))
            self.readers[reader.id] = reader

    def remove_reader(self, reader: Reader) -> bool:
        with self.lock:
            return self.readers.pop(reader.id, None) is not None

    def end(self, reason: str) -> list[Reader]:
        """The room ends: every reader is closed with ``reason``; returns them."""
        with self.lock:
            self.ended = True
            readers, self.readers = list(self.readers.values()), {}
        for reader in readers:
            reader.close(reason)
        return readers

    def transcript(self) -> list[Line]:
        with self.lock:
            return list(self.lines)

    # --- inside ---------------------------------------------------------------------------------------------

    def _insert(self, line: Line) -> None:
        key = (line.start, line.seq)
        at = bisect.bisect(self._keys, key)
        self._keys.insert(at, key)
        self.lines.insert(at, line)
        if len(self.lines) > MAX_LINES:
            del self.lines[0], self._keys[0]

    def _fan_out(self, events: list[Event]) -> list[Reader]:
        """(lock held) Offer ``events`` to every reader; forget and return those dropped."""
        dropped = []
        for reader in list(self.readers.values()):
            if not reader.offer_all(events):
                del self.readers[reader.id]
                dropped.append(reader)
        return dropped
