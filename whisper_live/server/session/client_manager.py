"""Admission of connections and the register of connected clients (and of places held for upgrades)."""

from __future__ import annotations

import threading
import time
from typing import Callable, Hashable, Optional

from whisper_live.admission import Admission
from whisper_live.server.session.memory import release_free_memory

RELEASE_DELAY = 2.0  # s the server stays idle before the memory of ended sessions is released

# A place held for a WebSocket upgrade is given back after this long (s) if its connection neither became
# a session nor let it go: more than a connection has to send its options (--options_timeout,
# 10 s by default).
PLACE_HELD_FOR = 30.0


class _Place:
    """A place held for a connection that has not sent its options yet; counts as a client meanwhile."""

    def __init__(self, until: float):
        self.until = until


class ClientManager:
    """Knows every connected client; admits a new one only while there is room.

    Room means fewer than ``max_clients`` connections and, when an :class:`Admission` with a load meter is
    given, enough measured real-time headroom for one more speaker.

    A WebSocket upgrade may hold a place before the handshake (:meth:`hold`): the place counts as a client,
    by the same rule as :meth:`try_add`, until the connection's session takes it (``try_add`` with the same
    ``key``, which then admits without judging again: the place was the admission) or it is let go
    (:meth:`let_go`). So the answer before the upgrade and the one after it cannot differ, and one client
    is never counted twice.
    """

    def __init__(self, admission: Admission, max_connection_time: float,
                 clock: Callable[[], float] = time.monotonic):
        self.admission = admission
        self.max_connection_time = max_connection_time
        self._clock = clock
        self._clients: dict = {}  # client (a live session) -> connection time
        self._places: dict[Hashable, _Place] = {}  # key (a connection) -> the place held for it
        self._lock = threading.Lock()
        self._emptied = threading.Condition(self._lock)
        self._release: Optional[threading.Timer] = None  # frees memory once the server stayed idle a moment

    def _counted(self) -> list:
        """The clients and the places held: what admission judges by (under the lock)."""
        now = self._clock()
        for key in [k for k, place in self._places.items() if place.until < now]:
            self.admission.meter.forget(self._places.pop(key))
        return list(self._clients) + list(self._places.values())

    def hold(self, key: Hashable) -> Optional[str]:
        """Hold a place for the connection ``key`` if one more client would be admitted now; else the
        reason it would not. Holding again for the same key keeps the one place."""
        with self._lock:
            if key in self._places:
                return None
            reason = self.admission.refuse_reason(self._counted())
            if reason is not None:
                return reason
            place = self._places[key] = _Place(self._clock() + PLACE_HELD_FOR)
            self.admission.meter.register(place)  # counts as a speaker, as an admitted client does
            return None

    def let_go(self, key: Hashable) -> None:
        """The connection ``key`` will not take the place it holds (if any): it is free again."""
        with self._lock:
            place = self._places.pop(key, None)
            if place is not None:
                self.admission.meter.forget(place)

    def try_add(self, client, key: Optional[Hashable] = None) -> Optional[tuple[str, float]]:
        """Register ``client``; or return (reason, estimated wait in minutes) when the server is full.
        With the ``key`` of a connection that holds a place, the client takes that place."""
        with self._lock:
            place = self._places.pop(key, None) if key is not None else None
            if place is not None:
                self.admission.meter.forget(place)
            else:
                reason = self.admission.refuse_reason(self._counted())
                if reason is not None:
                    return reason, self._estimated_wait_minutes()
            self._clients[client] = self._clock()
            self.admission.meter.register(client)
            return None

    def remove(self, client) -> None:
        with self._lock:
            if self._clients.pop(client, None) is not None:
                self.admission.meter.forget(client)
            emptied = not self._clients
            if emptied:
                self._emptied.notify_all()
        if emptied:
            self._release_when_idle()

    def _release_when_idle(self) -> None:
        """What the ended sessions freed goes back to the OS once no client came for ``RELEASE_DELAY`` s: not
        at once, since the release holds Python's lock for a moment while the last results may still be
        going out (to a room's readers, say)."""
        timer = threading.Timer(RELEASE_DELAY, self._release_if_idle)
        timer.name, timer.daemon = "release-memory", True
        with self._lock:
            old, self._release = self._release, timer
        _stop(old)
        timer.start()

    def _release_if_idle(self) -> None:
        with self._lock:
            idle = not self._clients
        if idle:
            release_free_memory()

    def close(self) -> None:
        """Stop the pending release (the server shuts down)."""
        with self._lock:
            timer, self._release = self._release, None
        _stop(timer)

    def wait_empty(self, timeout: float) -> bool:
        """Wait until no client is left, at most ``timeout`` s; whether none is left."""
        with self._lock:
            return self._emptied.wait_for(lambda: not self._clients, max(0.0, timeout))

    def connected(self) -> list:
        """The clients connected now, and those whose connection dropped that wait for a resume."""
        with self._lock:
            return list(self._clients)

    def counted(self) -> list:
        """The connected clients and the places held for upgrades: what admission judges by."""
        with self._lock:
            return self._counted()

    def _estimated_wait_minutes(self) -> float:
        """When the first connected client reaches its maximum connection time, at the latest."""
        if not self._clients:
            return 0.0
        now = self._clock()
        remaining = min(self.max_connection_time - (now - started) for started in self._clients.values())
        return max(0.0, remaining) / 60.0

    def __len__(self) -> int:
        with self._lock:
            return len(self._clients)

    def room(self) -> tuple[int, int]:
        """(clients connected and places held, how many more would be admitted now): what the HAProxy agent
        reports."""
        with self._lock:
            counted = self._counted()
        return len(counted), self.admission.spare_clients(counted)


def _stop(timer: Optional[threading.Timer]) -> None:
    if timer is not None:
        timer.cancel()
        if timer is not threading.current_thread():
            timer.join()
