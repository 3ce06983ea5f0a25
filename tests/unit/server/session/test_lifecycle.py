"""A live session's states, what it owns and how it ends, with a stand-in runner (no sockets, no model)."""

import threading
import time

import pytest

from whisper_live.server.session.lifecycle import MOVES, EndCause, LiveSession, ModelErrors, State
from tests.threads import NewThreads


class FakeRunner:
    def __init__(self):
        self.clients = []

    def add(self, client):
        self.clients.append(client)

    def remove(self, client):
        if client in self.clients:
            self.clients.remove(client)

    def notify(self, client):
        pass


class Owned:
    def __init__(self):
        self.stopped = 0

    def stop(self):
        self.stopped += 1


def session(**kwargs):
    ended = []
    runner = FakeRunner()
    live = LiveSession("u", runner, max_connection_time=600, on_end=ended.append, **kwargs)
    return live, runner, ended


def wait_until(condition, seconds=5.0):
    give_up = time.monotonic() + seconds
    while not condition() and time.monotonic() < give_up:
        time.sleep(0.01)
    return condition()


def test_the_table_allows_only_forward_moves_and_nothing_after_the_end():
    assert MOVES[State.ENDED] == set()
    assert State.ATTACHED not in MOVES[State.ENDING] and State.DETACHED not in MOVES[State.ENDING]
    live, _, _ = session()
    assert live.begin_ending(EndCause.END_OF_AUDIO) and live.state is State.ENDING
    assert not live.begin_ending(EndCause.DRAIN) and live.cause is EndCause.END_OF_AUDIO
    assert not live.detach(30) and not live.attach()  # an ending session takes no connection


def test_end_removes_its_clients_stops_what_it_owns_and_tells_the_server_once():
    live, runner, ended = session()
    other = FakeRunner()
    live.join_runner("stream")
    live.join_runner("turn", other)
    live.join_runner("stream")  # once only
    owned = Owned()
    live.own(owned)
    assert runner.clients == ["stream"] and other.clients == ["turn"]
    assert live.end(EndCause.CLOSED)
    assert not live.end(EndCause.DRAIN)
    assert runner.clients == [] and other.clients == [] and owned.stopped == 1
    assert ended == [live] and live.state is State.ENDED and live.cause is EndCause.CLOSED
    late = Owned()
    live.own(late)  # a connection arriving after the end is stopped at once
    live.join_runner("late")
    assert late.stopped == 1 and runner.clients == []


def test_a_detached_session_ends_after_the_resume_timeout_unless_resumed():
    live, runner, ended = session()
    live.join_runner("stream")
    assert live.detach(0.2) and live.state is State.DETACHED
    assert live.attach() and live.state is State.ATTACHED  # resumed in time
    time.sleep(0.4)
    assert not ended
    assert live.detach(0.2)
    assert wait_until(lambda: ended == [live])
    assert live.cause is EndCause.EXPIRED and runner.clients == [] and not live.attach()


def test_a_drain_ends_a_detached_session_now_and_asks_an_attached_one_to_finish():
    drained = []
    attached, _, _ = session(on_drain=drained.append)
    attached.drain(123.0)
    assert drained == [123.0] and attached.state is State.ATTACHED and attached.drain_by == 123.0
    detached, _, ended = session(on_drain=drained.append)
    detached.detach(30)
    detached.drain(124.0)
    assert ended == [detached] and detached.cause is EndCause.DRAIN and drained == [123.0]
    assert not attached.detach(30)  # a draining session is not kept for a resume


def test_wait_for_wakes_on_a_change_and_gives_up_at_the_drain_deadline():
    live, _, _ = session()
    done = []
    threading.Timer(0.1, lambda: (done.append(1), live.changed())).start()
    assert live.wait_for(lambda: bool(done), 10)
    live.drain(time.monotonic() + 0.1)
    started = time.monotonic()
    assert not live.wait_for(lambda: False, 10)
    assert time.monotonic() - started < 5


def test_model_errors_give_up_after_the_limit_in_a_row():
    errors = ModelErrors(limit=3)
    assert not errors.failed() and not errors.failed()
    errors.succeeded()
    assert not errors.failed() and not errors.failed() and errors.failed()


@pytest.mark.parametrize("resume", [False, True])
def test_no_thread_outlives_its_sessions(resume):
    threads = NewThreads()
    sessions = []
    for _ in range(50):
        live, _, _ = session()
        live.detach(0.2 if not resume else 30)
        sessions.append(live)
    assert threads.count() >= 50  # a resume timer each
    for live in sessions:
        if resume:
            assert live.attach()
            live.end(EndCause.END_OF_AUDIO)
    assert wait_until(lambda: all(s.ended for s in sessions))
    assert wait_until(lambda: not threads.alive())
