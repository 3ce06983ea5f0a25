"""The HAProxy agent (whisper_live/server/ops/agent.py): its reply from the server's capacity, over a real TCP
socket."""

import socket

from tests.agent_check import ask
from whisper_live.server.ops.agent import Agent, Capacity, agent_reply


def capacity(**fields):
    values = dict(listening=True, draining=False, connected=0, spare_clients=4, max_clients=4)
    values.update(fields)
    return Capacity(**values)


def test_a_server_with_room_is_ready_weighted_by_what_it_can_serve():
    assert agent_reply(capacity()) == "up ready 100%\n"
    assert agent_reply(capacity(connected=3, spare_clients=1)) == "up ready 100%\n"
    # by the measured load: 1 connected + 1 more of 4 allowed
    assert agent_reply(capacity(connected=1, spare_clients=1)) == "up ready 50%\n"
    assert agent_reply(capacity(connected=0, spare_clients=1, max_clients=200)) == "up ready 1%\n"


def test_a_full_or_draining_server_is_drained_and_one_not_listening_is_down():
    assert agent_reply(capacity(connected=4, spare_clients=0)).startswith("up drain ")
    assert agent_reply(capacity(connected=2, spare_clients=0)) == "up drain 50%\n"
    assert agent_reply(capacity(connected=1, spare_clients=3, draining=True)) == "up drain 100%\n"
    assert agent_reply(capacity(listening=False)).split()[0] == "down"


def test_the_agent_answers_one_line_per_connection_from_the_current_capacity():
    state = {"cap": capacity()}
    agent = Agent("127.0.0.1", 0, lambda: state["cap"]).start()
    try:
        assert ask(agent.port) == "up ready 100%\n"
        state["cap"] = capacity(connected=4, spare_clients=0)
        assert ask(agent.port) == "up drain 100%\n"
    finally:
        agent.stop()
    try:
        socket.create_connection(("127.0.0.1", agent.port), timeout=1).close()
        reachable = True
    except OSError:
        reachable = False
    assert not reachable


def test_an_agent_that_cannot_tell_the_capacity_closes_without_a_word_and_keeps_answering():
    calls = []

    def flaky():
        calls.append(1)
        if len(calls) == 1:
            raise RuntimeError("boom")
        return capacity()

    agent = Agent("127.0.0.1", 0, flaky).start()
    try:
        assert ask(agent.port) == ""  # HAProxy keeps the state it had
        assert ask(agent.port) == "up ready 100%\n"
    finally:
        agent.stop()


def test_wait_for_answer_returns_once_an_answer_read_after_it_was_sent():
    import threading

    agent = Agent("127.0.0.1", 0, capacity).start()
    try:
        assert not agent.wait_for_answer(0.2), "nobody asked"
        waited = {}
        waiter = threading.Thread(target=lambda: waited.setdefault("answered", agent.wait_for_answer(10)))
        ask(agent.port)  # an answer before the wait began does not count
        waiter.start()
        for _ in range(50):  # HAProxy's checks, until the waiter saw one
            ask(agent.port)
            waiter.join(0.1)
            if not waiter.is_alive():
                break
        assert waited == {"answered": True}
    finally:
        agent.stop()
