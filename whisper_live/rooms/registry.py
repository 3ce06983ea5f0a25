"""Every room of the server: created by its first publisher, found by its readers, ended after its linger.

* :meth:`RoomRegistry.join` puts a publishing session in a room (creating it: public or private, with a reader
  token) and returns its :class:`RoomPublisher`, whose ``publish`` and ``leave`` only post to the fan-out
  thread (whisper_live/rooms/fanout.py);
* :meth:`RoomRegistry.open_reader` lets a reader in: a public room, or a private one with its reader token;
  at most ``max_readers`` readers in the whole server;
* a room ends ``linger`` seconds after its last publisher left: its readers get an ``end`` event, and its
  transcript can no longer be fetched.

Reader tokens are not API keys: each opens one room, for reading only. A wrong token and a missing room get
the same answer, so that nobody learns which private rooms exist.
"""

from __future__ import annotations

import hmac
import secrets
import threading
import time
from typing import Callable, Optional

from whisper_live.rooms.reader import MAX_LAG, MAX_PENDING, ROOM_ENDED, SERVER_STOPPING, TOO_FAR_BEHIND, Reader
from whisper_live.rooms.room import PARTIAL_EVERY, Publisher, Room
from whisper_live.rooms.fanout import FanOut

DEFAULT_LINGER = 300.0
DEFAULT_MAX_READERS = 2000


class RoomError(Exception):
    """A reader is refused: ``status`` is the HTTP status that says why."""

    def __init__(self, status: int, message: str, reason: str):
        super().__init__(message)
        self.status, self.message, self.reason = status, message, reason


class RoomPublisher:
    """A session's handle on its room: what its stream completes and has in progress goes to the room's
    readers. Every method returns at once (the fan-out thread does the work)."""

    def __init__(self, registry: "RoomRegistry", room: Room, publisher: Publisher):
        self._registry, self.room, self.publisher = registry, room, publisher

    @property
    def reader_token(self) -> Optional[str]:
        """The token readers of a private room need (None for a public room)."""
        return None if self.room.public else self.room.reader_token

    def publish(self, completed, partial) -> None:
        """Newly completed segments and the text now in progress (times of this session's stream)."""
        self._registry.fanout.post(self._registry._apply, self.room, self.publisher, list(completed), list(partial))

    def leave(self) -> None:
        self._registry.fanout.post(self._registry._leave, self.room, self.publisher)


class RoomRegistry:
    def __init__(self, *, linger: float = DEFAULT_LINGER, max_readers: int = DEFAULT_MAX_READERS,
                 max_pending: int = MAX_PENDING, max_lag: float = MAX_LAG, clock: Callable[[], float] = time.time, metrics=None,
                 tick: float = 1.0, partial_every: float = PARTIAL_EVERY):
        self.linger = linger
        self.partial_every = partial_every
        self.max_readers = max_readers
        self.max_pending = max_pending
        self.max_lag = max_lag
        self._clock = clock
        self._metrics = metrics  # whisper_live.server.ops.metrics.Metrics, or None
        self._lock = threading.Lock()
        self._rooms: dict[str, Room] = {}
        self._readers = 0
        self.fanout = FanOut(self._sweep, tick)
        self.loop_readers: dict = {}  # the API's readers, by event loop (whisper_live/api/room_readers.py)
        if metrics is not None:
            metrics.watch_rooms(self)

    # --- publishers ---------------------------------------------------------------------------------------

    def join(self, name: str, speaker: str = "", public: bool = False) -> RoomPublisher:
        """Publish into room ``name`` from now on (its stream's time 0 is now); the room is made with the
        first publisher's ``public`` choice."""
        now = self._clock()
        self.fanout.start()
        with self._lock:
            room = self._rooms.get(name)
            if room is None:
                room = self._rooms[name] = Room(name, public=public, reader_token=secrets.token_urlsafe(18),
                                                epoch=now, partial_every=self.partial_every)
            publisher = room.join(speaker, now)
        return RoomPublisher(self, room, publisher)

    def _apply(self, room: Room, publisher: Publisher, completed: list, partial: list) -> None:
        self._dropped(room.apply(publisher, completed, partial))
        self._release_later(room)

    def _release(self, room: Room) -> None:
        """(fan-out thread) The partials the room held back are due."""
        self._dropped(room.release_partials())
        self._release_later(room)

    def _release_later(self, room: Room) -> None:
        due = room.take_release_due()
        if due is not None:
            self.fanout.post_at(due, self._release, room)

    def _leave(self, room: Room, publisher: Publisher) -> None:
        self._dropped(room.leave(publisher, self._clock()))

    # --- readers ------------------------------------------------------------------------------------------

    def find(self, name: str, token: Optional[str]) -> Room:
        """The room ``name`` if this token may read it (any, for a public room); RoomError 404 otherwise."""
        with self._lock:
            room = self._rooms.get(name)
        if room is None or room.ended or not (room.public or (
                token and hmac.compare_digest(token.encode(), room.reader_token.encode()))):
            self._refused("not_found")
            raise RoomError(404, f"no room {name!r} here, or it is private and this reader token does not open "
                                 f"it", "not_found")
        return room

    def open_reader(self, name: str, token: Optional[str], wake: Optional[Callable[[], None]] = None,
                    after_seq: Optional[int] = None) -> Reader:
        """A reader of room ``name``, already holding the last lines (or those after ``after_seq``); close it
        with :meth:`close_reader`. RoomError: 404 (no such room for this token), 503 (``max_readers``)."""
        room = self.find(name, token)
        with self._lock:
            if self._readers >= self.max_readers:
                full = True
            else:
                full, self._readers = False, self._readers + 1
        if full:
            self._refused("full")
            raise RoomError(503, f"this server has its maximum of {self.max_readers} readers", "full")
        reader = Reader(room, wake, self.max_pending, self.max_lag)
        room.add_reader(reader, after_seq)
        if self._metrics is not None:
            self._metrics.room_readers_total.inc()
        return reader

    def close_reader(self, reader: Reader) -> None:
        """The reader is gone (it left, or was dropped and told): its slot is given back. Call it once."""
        reader.room.remove_reader(reader)
        reader.close("the reader left")
        with self._lock:
            self._readers -= 1

    def drop_reader(self, reader: Reader) -> None:
        """Drop a reader whose client stopped taking what is sent to it (told from its connection)."""
        if reader.closed is None:
            reader.close(TOO_FAR_BEHIND)
            self._dropped([reader])

    @property
    def readers(self) -> int:
        with self._lock:
            return self._readers

    @property
    def rooms(self) -> int:
        with self._lock:
            return len(self._rooms)

    # --- the end ------------------------------------------------------------------------------------------

    def stop(self) -> None:
        """End every room (their readers are told the server stops) and the fan-out thread."""
        self.fanout.stop()
        with self._lock:
            rooms, self._rooms = list(self._rooms.values()), {}
        for room in rooms:
            room.end(SERVER_STOPPING)

    def _sweep(self) -> None:
        """(fan-out thread) End the rooms whose last publisher left ``linger`` seconds ago."""
        now = self._clock()
        with self._lock:
            over = [room for room in self._rooms.values()
                    if room.empty_since is not None and now - room.empty_since >= self.linger]
            for room in over:
                del self._rooms[room.name]
        for room in over:
            room.end(ROOM_ENDED)

    def _dropped(self, readers: list) -> None:
        if readers and self._metrics is not None:
            self._metrics.room_readers_dropped.labels(reason="too_far_behind").inc(len(readers))

    def _refused(self, reason: str) -> None:
        if self._metrics is not None:
            self._metrics.room_readers_rejected.labels(reason=reason).inc()


__all__ = ["RoomError", "RoomPublisher", "RoomRegistry", "TOO_FAR_BEHIND"]
