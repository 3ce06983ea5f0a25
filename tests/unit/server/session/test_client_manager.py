"""The client manager (whisper_live/server/session/client_manager.py): places held for upgrades by the same rule
as admission after the options, one client counted once; and the memory of ended sessions given back once the
server has stayed idle a moment."""

import time

from whisper_live.admission import Admission, LoadMeter
from whisper_live.server.session import client_manager
from whisper_live.server.session.client_manager import PLACE_HELD_FOR, ClientManager
from tests.threads import NewThreads


class Clock:
    def __init__(self):
        self.now = 100.0

    def __call__(self):
        return self.now


def manager(max_clients=3, clock=None):
    clock = clock or Clock()
    return ClientManager(Admission(LoadMeter(workers=1, clock=clock), max_clients), 600, clock=clock)


def test_a_place_held_before_the_upgrade_counts_and_its_session_takes_it_without_counting_twice():
    clients = manager(max_clients=2)
    assert clients.hold("conn-a") is None
    assert clients.room() == (1, 1)
    assert clients.hold("conn-a") is None, "holding again keeps the one place"
    assert clients.room() == (1, 1)
    assert clients.try_add("session-a", key="conn-a") is None
    assert clients.room() == (1, 1) and clients.connected() == ["session-a"]
    # the second place is the last one: a third connection is refused by the rule that WAITs a client
    assert clients.hold("conn-b") is None
    assert "limit of 2 clients" in clients.hold("conn-c")
    assert clients.try_add("session-c")[0] == clients.hold("conn-c")
    assert clients.try_add("session-b", key="conn-b") is None, "a held place admits"
    assert clients.room() == (2, 0)


def test_a_place_let_go_is_free_again_and_a_forgotten_one_expires():
    clock = Clock()
    clients = manager(max_clients=1, clock=clock)
    assert clients.hold("resuming") is None
    assert clients.hold("other") is not None
    clients.let_go("resuming")  # the connection was a resume, or closed before its options
    assert clients.room() == (0, 1)
    assert clients.hold("lost") is None
    clock.now += PLACE_HELD_FOR + 1  # its handshake failed: no handler ever let it go
    assert clients.room() == (0, 1)
    assert clients.try_add("late", key="lost") is None, "judged again, and there is room"
    assert clients.counted() == ["late"]


def test_places_are_speakers_for_the_meter_until_taken_or_let_go():
    clients = manager(max_clients=4)
    meter = clients.admission.meter
    clients.hold("conn")
    assert meter.snapshot().speakers == 1
    clients.try_add("session", key="conn")
    assert meter.snapshot().speakers == 1
    clients.hold("other")
    clients.let_go("other")
    assert meter.snapshot().speakers == 1


def manager_recording_releases(monkeypatch):
    released = []
    monkeypatch.setattr(client_manager, "RELEASE_DELAY", 0.2)
    monkeypatch.setattr(client_manager, "release_free_memory", lambda: released.append(time.monotonic()))
    return client_manager.ClientManager(Admission(LoadMeter(1), max_clients=4, enabled=False), 600), released


def test_memory_is_released_once_the_server_stayed_idle(monkeypatch):
    manager, released = manager_recording_releases(monkeypatch)
    threads = NewThreads()
    manager.try_add("a")
    manager.remove("a")
    assert not released  # not while the last results may still be going out
    time.sleep(0.5)
    assert len(released) == 1 and threads.alive() == []


def test_a_client_that_comes_meanwhile_keeps_the_memory_and_close_stops_the_wait(monkeypatch):
    manager, released = manager_recording_releases(monkeypatch)
    threads = NewThreads()
    manager.try_add("a")
    manager.remove("a")
    manager.try_add("b")  # the server is busy again before the delay ends
    time.sleep(0.5)
    assert not released
    manager.remove("b")
    manager.close()
    time.sleep(0.3)
    assert not released and threads.alive() == []
