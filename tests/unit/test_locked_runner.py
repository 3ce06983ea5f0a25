"""The thread-per-client runner (whisper_live/locked_runner.py) with real streams and a fake model."""

import time

import numpy as np

from tests.fakes import ScriptedTranscriber, StreamClient, silence, speech, words_of
from whisper_live.locked_runner import LockedRunner


def test_locked_runner_serves_each_client_on_its_own_thread():
    model = ScriptedTranscriber(delay=0.01)
    runner = LockedRunner(model)
    clients = [StreamClient() for _ in range(3)]
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
