"""The runner interface (whisper_live/runner.py): the scheduler and the thread-per-client runner both have it."""

import inspect

import pytest

from tests.fakes import ScriptedTranscriber
from whisper_live.locked_runner import LockedRunner
from whisper_live.runner import Runner
from whisper_live.scheduler import Scheduler

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
