"""The thread-per-client runner: each client served on its own thread, which ends when the client is removed."""

import threading
import time

import numpy as np

from tests.fakes import FakeClient, ScriptedTranscriber, SessionClient, silence, speech, words_of
from whisper_live.locked_runner import LockedRunner
from whisper_live.streaming import PARTIAL


class Talker(FakeClient):
    """Always has another partial window (a client that keeps talking); ``served`` once it got one."""

    def __init__(self, name, on_deliver=None):
        super().__init__(name, PARTIAL, samples=1600)
        self.served = threading.Event()
        self.on_deliver = on_deliver

    def deliver(self, window, result, error):
        self.in_flight = None
        self.delivered.append((window, result, error))
        self.served.set()
        if self.on_deliver is not None:
            self.on_deliver(self)


def client_threads() -> int:
    return sum(1 for thread in threading.enumerate() if thread.name == "client-inference")


def test_locked_runner_serves_each_client_on_its_own_thread():
    model = ScriptedTranscriber(delay=0.01)
    runner = LockedRunner(model)
    clients = [SessionClient() for _ in range(3)]
    audio = np.concatenate([speech([1, 2, 3]), silence(1.0)])
    for c in clients:
        runner.add(c)
    for i in range(0, len(audio), 4096):
        for c in clients:
            c.feed(audio[i:i + 4096])
            runner.notify(c)
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline and not all(len(c.stream.completed) for c in clients):
        time.sleep(0.01)
    for c in clients:
        assert words_of(c.stream.completed) == ["w1", "w2", "w3"]
        runner.remove(c)
    assert all(len(call) == 1 for call in model.calls)


def test_a_removed_client_takes_no_more_windows_and_its_thread_has_ended():
    runner = LockedRunner(ScriptedTranscriber())
    before = client_threads()
    for i in range(40):
        talker = Talker(f"t{i}")
        runner.add(talker)
        assert talker.served.wait(5)
        runner.remove(talker)
        served = len(talker.delivered)
        assert client_threads() == before
        assert len(talker.delivered) == served
    # clients with nothing to say wait on their threads; stopping the runner ends them all
    quiet = [FakeClient(f"q{i}") for i in range(20)]
    for c in quiet:
        runner.add(c)
        runner.add(c)  # added twice: still one thread
    talkers = [Talker(f"s{i}") for i in range(3)]
    for c in talkers:
        runner.add(c)
    assert client_threads() == before + 23
    assert all(c.served.wait(5) for c in talkers)
    runner.stop()
    assert client_threads() == before


def test_a_client_removed_from_its_own_thread_ends_it():
    runner = LockedRunner(ScriptedTranscriber())
    before = client_threads()
    talkers = [Talker(f"t{i}", on_deliver=runner.remove) for i in range(10)]
    for talker in talkers:
        runner.add(talker)
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline and client_threads() > before:
        time.sleep(0.01)
    assert client_threads() == before
    assert [len(t.delivered) for t in talkers] == [1] * 10
