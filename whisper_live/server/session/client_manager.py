"""Admission of connections and the register of connected clients."""

from __future__ import annotations

import threading
import time
from typing import Callable, Optional

from whisper_live.admission import Admission


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
            if not self._clients:
                self._emptied.notify_all()

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
