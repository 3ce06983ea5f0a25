"""Admission of connections and the register of connected clients."""

from __future__ import annotations

import threading
import time
from typing import Callable, Optional

from whisper_live.admission import Admission
from whisper_live.server.session.memory import release_free_memory

RELEASE_DELAY = 2.0  # s the server stays idle before the memory of ended sessions is released


class ClientManager:
    """Knows every connected client; admits a new one only while there is room.

    Room means fewer than ``max_clients`` connections and, when an :class:`Admission` with a load meter is
    given, enough measured real-time headroom for one more speaker.
    """

    def __init__(self, admission: Admission, max_connection_time: float,
                 clock: Callable[[], float] = time.monotonic):
        self.admission = admission
        self.max_connection_time = max_connection_time
        self._clock = clock
        self._clients: dict = {}  # client (a live session) -> connection time
        self._lock = threading.Lock()
        self._emptied = threading.Condition(self._lock)
        self._release: Optional[threading.Timer] = None  # frees memory once the server stayed idle a moment

    def try_add(self, client) -> Optional[tuple[str, float]]:
        """Register ``client``; or return (reason, estimated wait in minutes) when the server is full."""
        with self._lock:
            reason = self.admission.refuse_reason(list(self._clients))
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
        """(clients connected, how many more would be admitted now): what the HAProxy agent reports."""
        with self._lock:
            connected = list(self._clients)
        return len(connected), self.admission.spare_clients(connected)


def _stop(timer: Optional[threading.Timer]) -> None:
    if timer is not None:
        timer.cancel()
        if timer is not threading.current_thread():
            timer.join()
