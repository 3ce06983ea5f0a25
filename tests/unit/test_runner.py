"""The runner interface (whisper_live/runner.py): the scheduler and the thread-per-client runner both have it."""

import inspect

import pytest

from tests.fakes import FakeClient, ScriptedTranscriber
from whisper_live.locked_runner import LockedRunner
from whisper_live.runner import Runner, speaker_of
from whisper_live.server.session.lifecycle import LiveSession
from whisper_live.streaming import PARTIAL
from whisper_live.scheduler import BatchEntry, Scheduler

METHODS = ["start", "stop", "add", "notify", "remove"]


@pytest.mark.parametrize("make", [lambda t: Scheduler(t, workers=2), LockedRunner], ids=["Scheduler", "LockedRunner"])
def test_both_runners_have_the_runner_interface(make):
    runner = make(ScriptedTranscriber())
    assert isinstance(runner, Runner)
    for name in METHODS:
        expected = list(inspect.signature(getattr(Runner, name)).parameters)[1:]
        assert list(inspect.signature(getattr(runner, name)).parameters) == expected, name
    assert runner.workers >= 1 and runner.meter.workers == runner.workers and runner.on_batch is None


def test_something_without_a_part_of_it_is_no_runner():
    scheduler = Scheduler(ScriptedTranscriber(), workers=1)
    del scheduler.on_batch
    assert not isinstance(scheduler, Runner)


def test_a_session_counts_as_one_speaker_whatever_number_of_streams_it_runs():
    """A Realtime session runs a stream per turn: its turns' model calls are the session's, for admission
    and for the HAProxy agent, which count the sessions the server registered."""
    live = LiveSession("s", None, max_connection_time=600)
    turns = [FakeClient(f"turn{i}", PARTIAL) for i in range(3)]
    for turn in turns:
        turn.session = live
    alone = FakeClient("file work", PARTIAL)
    scheduler = Scheduler(ScriptedTranscriber(), workers=1, max_batch_size=1)
    scheduler.meter.register(live)  # admitted
    for client in turns + [alone]:
        scheduler.run_batch([BatchEntry(client, client.take_window(), 0.0)])
    assert [speaker_of(t) for t in turns] == [live] * 3 and speaker_of(alone) is alone
    assert scheduler.meter.snapshot().speakers == 2  # the session and the file work
    load = scheduler.meter.snapshot([live])
    assert load.speakers == 1 and load.utilization > 0  # its turns' work is the session's
