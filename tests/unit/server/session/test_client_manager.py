"""The client manager gives the memory of ended sessions back once the server has stayed idle a moment."""

import threading
import time

from whisper_live.admission import Admission, LoadMeter
from whisper_live.server.session import client_manager


def manager_recording_releases(monkeypatch):
    released = []
    monkeypatch.setattr(client_manager, "RELEASE_DELAY", 0.2)
    monkeypatch.setattr(client_manager, "release_free_memory", lambda: released.append(time.monotonic()))
    return client_manager.ClientManager(Admission(LoadMeter(1), max_clients=4, enabled=False), 600), released


def test_memory_is_released_once_the_server_stayed_idle(monkeypatch):
    manager, released = manager_recording_releases(monkeypatch)
    before = threading.active_count()
    manager.try_add("a")
    manager.remove("a")
    assert not released  # not while the last results may still be going out
    time.sleep(0.5)
    assert len(released) == 1 and threading.active_count() == before


def test_a_client_that_comes_meanwhile_keeps_the_memory_and_close_stops_the_wait(monkeypatch):
    manager, released = manager_recording_releases(monkeypatch)
    before = threading.active_count()
    manager.try_add("a")
    manager.remove("a")
    manager.try_add("b")  # the server is busy again before the delay ends
    time.sleep(0.5)
    assert not released
    manager.remove("b")
    manager.close()
    time.sleep(0.3)
    assert not released and threading.active_count() == before
