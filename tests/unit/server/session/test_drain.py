"""The drain's order of things and its time bound, with a stand-in server (no sockets, no model)."""

import threading
import time

from whisper_live.server.session.drain import Drain


class FakeClient:
    def __init__(self, manager, finishes):
        self.manager, self.finishes, self.deadline = manager, finishes, None

    def drain(self, deadline):
        self.deadline = deadline
        if self.finishes:
            threading.Timer(0.1, self.manager.remove, args=(self,)).start()


class FakeManager:
    def __init__(self):
        self._clients, self._lock = [], threading.Condition()

    def connected(self):
        with self._lock:
            return list(self._clients)

    def remove(self, client):
        with self._lock:
            self._clients.remove(client)
            self._lock.notify_all()

    def wait_empty(self, timeout):
        with self._lock:
            return self._lock.wait_for(lambda: not self._clients, timeout)

    def __len__(self):
        return len(self.connected())


class FakeServer:
    def __init__(self):
        self.manager = FakeManager()
        self.drain_hooks = []
        self.shut_down = threading.Event()

    def shutdown(self):
        self.shut_down.set()


def test_sessions_end_hooks_run_and_the_server_stops_once_all_have_ended():
    server = FakeServer()
    clients = [FakeClient(server.manager, finishes=True) for _ in range(3)]
    server.manager._clients.extend(clients)
    hooked = []
    server.drain_hooks.append(lambda deadline: hooked.append(deadline))
    drain = Drain(server)
    start = time.monotonic()
    drain.run(10.0)
    assert drain.started and server.shut_down.is_set()
    assert time.monotonic() - start < 5.0  # it did not wait for its deadline
    assert len(hooked) == 1 and start + 5.0 < hooked[0] <= start + 10.0
    assert all(c.deadline is not None and c.deadline < hooked[0] for c in clients)


def test_a_session_that_does_not_end_is_left_to_the_shutdown_at_the_deadline():
    server = FakeServer()
    server.manager._clients.append(FakeClient(server.manager, finishes=False))
    start = time.monotonic()
    Drain(server).run(1.0)
    elapsed = time.monotonic() - start
    assert server.shut_down.is_set() and 0.8 <= elapsed < 3.0  # its deadline, not the session's end
    assert len(server.manager) == 1  # shutdown() closes it with 1001
