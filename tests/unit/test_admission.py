"""Admission and the load meter (whisper_live/admission.py): the measured load, the room for extra work,
whether one more client fits, how many more would, and the headroom."""

import gc
import random
import weakref

import pytest

from whisper_live.admission import ROOM_BELOW_FINAL_DELAY, Admission, LoadMeter
from whisper_live.server.session.client_manager import ClientManager


class Clock:
    def __init__(self):
        self.now = 100.0

    def __call__(self):
        return self.now


def test_admission_respects_max_clients():
    meter = LoadMeter(2, clock=Clock())
    admission = Admission(meter, max_clients=2)
    assert admission.refuse_reason([]) is None
    assert admission.refuse_reason([object()]) is None
    assert "limit of 2" in admission.refuse_reason([object(), object()])


def two_speakers_for_a_horizon():
    """A meter of 2 workers whose two speakers have been there for its whole 30 s horizon, and its admission
    (at most 60% of the workers for finals): (clock, meter, admission, speaker a, speaker b)."""
    clock = Clock()
    meter = LoadMeter(workers=2, horizon=30.0, clock=clock)
    a, b = object(), object()
    meter.record(0.0, 0.0, [a, b], [])
    clock.now += 30
    return clock, meter, Admission(meter, max_clients=16, max_final_utilization=0.6), a, b


def test_admission_refuses_when_one_more_speaker_would_exceed_the_headroom():
    clock, meter, admission, a, b = two_speakers_for_a_horizon()
    # two speakers whose finals used 30% of the 60 worker-seconds: a third would bring it to 45%
    for _ in range(6):
        meter.record(3.0, 3.0, [a, b], [0.4])
    assert admission.refuse_reason([a, b]) is None
    # now they use 48%: one more would need 72%
    for _ in range(2):
        meter.record(5.0, 5.0, [a, b], [0.4])
    reason = admission.refuse_reason([a, b])
    assert reason and "real-time capacity" in reason
    # the load of clients that left does not count against a newcomer
    assert admission.refuse_reason([]) is None
    # and it expires with the horizon
    clock.now += 31
    assert admission.refuse_reason([a, b]) is None


def test_admission_refuses_when_finals_are_already_late():
    clock = Clock()
    meter = LoadMeter(workers=2, clock=clock)
    a = object()
    for _ in range(5):
        meter.record(0.1, 0.1, [a], [3.5])
    reason = Admission(meter, max_clients=8, latency_target=2.0).refuse_reason([a])
    assert reason and "behind" in reason
    assert Admission(meter, max_clients=8, enabled=False).refuse_reason([a]) is None


def test_admission_projects_the_cheapest_rungs_cost_and_refuses_while_finals_are_late():
    clock, meter, admission, a, b = two_speakers_for_a_horizon()
    # finals at the top rung took 48% of the workers (one more speaker: 72%), in time: on the cheapest rung
    # they would have taken a third of that, which is what one more speaker is projected to cost
    for _ in range(8):
        meter.record(3.6, 3.6, [a, b], [0.5], floor_share=1 / 3, at_floor=False)
    load = meter.snapshot([a, b])
    assert load.final_rate == pytest.approx(28.8 / 60) and load.final_floor_rate == pytest.approx(9.6 / 60)
    assert (load.floor_finals, load.finals) == (0, 8)
    assert admission.refuse_reason([a, b]) is None and admission.spare_clients([a, b]) > 0
    # finals late now (on whatever rung): refused
    for _ in range(8):
        meter.record(1.0, 1.0, [a, b], [3.5], floor_share=1.0, at_floor=False)
    reason = admission.refuse_reason([a, b])
    assert reason and "behind" in reason and admission.spare_clients([a, b]) == 0


def test_the_meter_has_room_for_extra_work_while_finals_are_served_in_time():
    clock = Clock()
    meter = LoadMeter(workers=2, horizon=30.0, clock=clock)
    a = object()
    assert meter.has_room()  # nothing measured yet
    # partials keep the workers busy all the time: that leaves room (they fill whatever is left)
    meter.record(60.0, 0.0, [a], [])
    assert meter.has_room()
    for _ in range(10):
        meter.record(0.3, 0.3, [a], [ROOM_BELOW_FINAL_DELAY - 0.2])
    meter.record(0.3, 0.3, [a], [ROOM_BELOW_FINAL_DELAY + 2])  # one late final in ten: p90 still in time
    assert meter.has_room()
    for _ in range(2):
        meter.record(0.3, 0.3, [a], [ROOM_BELOW_FINAL_DELAY + 0.1])
    assert not meter.has_room()
    clock.now += 31  # expired with the horizon
    assert meter.has_room()


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
    clock, meter, admission, a, b = two_speakers_for_a_horizon()
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


def test_headroom_is_the_smaller_of_client_slots_and_measured_load():
    now = [100.0]
    meter = LoadMeter(workers=1, horizon=30.0, clock=lambda: now[0])
    admission = Admission(meter, max_clients=10, max_final_utilization=0.6)
    a = object()
    assert admission.headroom([]) == 1.0 and admission.headroom([a]) == 0.9
    meter.record(0.0, 0.0, [a], [])  # speaking for the whole horizon
    now[0] += 30
    for _ in range(3):  # finals of client a: 3 s of 30 s busy = 0.1 utilisation, 1/6 of the 0.6 allowed
        meter.record(1.0, 1.0, [a], [0.5])
    assert admission.headroom([a]) == pytest.approx(1 - 0.1 / 0.6)
    assert admission.headroom([a] + [object() for _ in range(9)]) == 0.0, "at max_clients"
    for _ in range(7):  # 1/3 utilisation from one speaker: a second would pass 0.6, so WAIT
        meter.record(1.0, 1.0, [a], [0.5])
    assert admission.refuse_reason([a]) is not None and admission.headroom([a]) == 0.0


class Speaker:
    """A client as the meter sees it: any object, hashable by identity."""


def test_a_new_client_never_takes_over_the_figures_of_one_that_left():
    """CPython gives a new object the id of one just freed: the newcomer must start with no load of its own."""
    clock = Clock()
    meter = LoadMeter(workers=2, horizon=30.0, clock=clock)
    leaver = Speaker()
    meter.register(leaver)
    clock.now += 10
    for _ in range(3):
        meter.record(6.0, 6.0, [leaver], [0.5])
    meter.forget(leaver)
    freed = id(leaver)
    del leaver
    tries = []  # kept alive, so that each try is a new object
    while id(newcomer := Speaker()) != freed and len(tries) < 10000:
        tries.append(newcomer)
    if id(newcomer) != freed:
        pytest.skip("this Python gave no new object the freed id")
    meter.register(newcomer)
    load = meter.snapshot([newcomer])
    assert (load.speakers, load.utilization, load.final_utilization, load.final_rate) == (1, 0.0, 0.0, 0.0)
    assert load.finals == 3  # (the finals' delays are every client's)
    everyone = meter.snapshot()
    assert everyone.speakers == 1 and everyone.final_utilization == pytest.approx(18.0 / 60.0)


def test_the_meter_lets_go_of_a_client_when_it_leaves_or_a_horizon_passes_without_its_windows():
    clock = Clock()
    meter = LoadMeter(workers=1, horizon=30.0, clock=clock)
    leaver, silent = Speaker(), Speaker()
    meter.register(leaver)
    meter.register(silent)
    meter.record(1.0, 1.0, [leaver, silent], [0.5])
    assert meter.snapshot().speakers == 2
    refs = weakref.ref(leaver), weakref.ref(silent)
    meter.forget(leaver)
    del leaver
    gc.collect()
    assert refs[0]() is None and meter.snapshot().speakers == 1  # its model call still counts in the load
    assert meter.snapshot().utilization == pytest.approx(1.0 / 30.0)
    clock.now += 31
    assert meter.snapshot().speakers == 0
    del silent
    gc.collect()
    assert refs[1]() is None
