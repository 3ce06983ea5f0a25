"""The HAProxy agent: its reply from the server's capacity, over a real TCP socket; the spare clients it reports."""

import random
import socket

from whisper_live.admission import Admission, LoadMeter
from whisper_live.server.ops.agent import Agent, Capacity, agent_reply
from whisper_live.server.session.client_manager import ClientManager


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


def ask(port: int) -> str:
    with socket.create_connection(("127.0.0.1", port), timeout=5) as s:
        s.sendall(b"whisper_live/node1\n")  # what haproxy.cfg's agent-send would say: ignored
        data = b""
        while chunk := s.recv(100):
            data += chunk
    return data.decode()


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


class Clock:
    now = 100.0

    def __call__(self):
        return self.now


def test_spare_clients_is_zero_exactly_when_admission_refuses_the_next_client():
    rng = random.Random(7)
    for _ in range(300):
        clock = Clock()
        meter = LoadMeter(workers=2, horizon=30.0, clock=clock)
        admission = Admission(meter, max_clients=rng.randint(1, 12), latency_target=2.0,
                              max_final_utilization=0.6)
        clients = [object() for _ in range(rng.randint(0, 10))]
        for _ in range(rng.randint(0, 8)):
            busy = rng.uniform(0.1, 6.0)
            meter.record(busy, busy * rng.random(), clients, [rng.uniform(0.1, 3.0)])
        room = admission.spare_clients(clients)
        assert (room == 0) == (admission.refuse_reason(clients) is not None)
        assert 0 <= room <= max(0, admission.max_clients - len(clients))


def test_spare_clients_counts_how_many_more_speakers_fit_by_the_measured_load():
    clock = Clock()
    meter = LoadMeter(workers=2, horizon=30.0, clock=clock)
    a, b = object(), object()
    admission = Admission(meter, max_clients=16, max_final_utilization=0.6)
    meter.record(0.0, 0.0, [a, b], [])  # both speaking for the whole horizon
    clock.now += 30
    # two speakers used 18% of the 60 worker-seconds for finals, 9% each: 4 more make 54%, 5 more 63%
    for _ in range(4):
        meter.record(2.7, 2.7, [a, b], [0.4])
    assert admission.spare_clients([a, b]) == 4
    manager = ClientManager(admission, 600)
    assert manager.room() == (0, 16)  # no client connected: their load does not count


def test_speakers_who_came_lately_count_for_the_seconds_they_were_there():
    """Many speakers connecting at once: their finals so far cover a few seconds, not the horizon, and
    admission projects from what they cost per second present."""
    clock = Clock()
    meter = LoadMeter(workers=2, horizon=30.0, clock=clock)
    admission = Admission(meter, max_clients=16, max_final_utilization=0.65)
    a, newcomers = object(), [object() for _ in range(3)]
    meter.record(0.0, 0.0, [a], [])
    clock.now += 20
    meter.record(0.0, 0.0, newcomers, [])  # three speakers came 10 s before the question
    clock.now += 10
    meter.record(6.0, 6.0, [a], [0.5])  # a: 6 s of finals in 30 s
    for c in newcomers:
        meter.record(2.0, 2.0, [c], [0.5])  # each newcomer: 2 s of finals in its 10 s
    # 0.2 worker-seconds a second each: 4 speakers use 40% of the 2 workers; 2 more make 60%, 3 more 70%.
    # (Over the horizon's 60 worker-seconds their 12 s look like 20%, room for 9 more.)
    speakers = [a] + newcomers
    assert admission.spare_clients(speakers) == 2
    assert admission.refuse_reason(speakers) is None
    two_more = [object(), object()]
    meter.record(0.1, 0.0, two_more, [])  # admitted, and their first partial windows came
    assert "real-time capacity" in admission.refuse_reason(speakers + two_more)
    assert admission.spare_clients(speakers + two_more) == 0


def test_clients_count_from_their_admission_until_a_horizon_passes_without_their_windows():
    """Clients that connect at once to a loaded server count before their first window, and a client that
    says nothing for a whole horizon stops counting."""
    clock = Clock()
    meter = LoadMeter(workers=2, horizon=30.0, clock=clock)
    manager = ClientManager(Admission(meter, max_clients=16, max_final_utilization=0.65), 600, clock=clock)
    speakers = [object() for _ in range(3)]
    for c in speakers:
        assert manager.try_add(c) is None
    clock.now += 30
    for c in speakers:
        meter.record(6.0, 6.0, [c], [0.5])  # 0.2 worker-seconds a second each: 30% of the 2 workers
    # one more makes 40%, ..., three more 60%, four more 70%: the fourth of a crowd waits, although none of
    # the crowd has spoken yet
    crowd = [object() for _ in range(4)]
    assert [manager.try_add(c) is None for c in crowd] == [True, True, True, False]
    assert manager.room() == (6, 0)
    manager.remove(crowd[0])  # one of them left: the next is admitted
    assert manager.try_add(crowd[3]) is None
    manager.remove(crowd[3])
    # the crowd stays silent: after a horizon without their windows they no longer count
    clock.now += 20
    for c in speakers:
        meter.record(4.0, 4.0, [c], [0.5])
    clock.now += 11
    for c in speakers:
        meter.record(2.0, 2.0, [c], [0.5])
    assert manager.room() == (5, 3)


def test_spare_clients_is_zero_while_finals_are_late():
    clock = Clock()
    meter = LoadMeter(workers=2, clock=clock)
    a = object()
    for _ in range(5):
        meter.record(0.1, 0.1, [a], [3.5])
    assert Admission(meter, max_clients=8, latency_target=2.0).spare_clients([a]) == 0
    assert Admission(meter, max_clients=8, enabled=False).spare_clients([a]) == 7
