"""The inference scheduler's logic with fake clients and a fake model: fairness, batching, adaptation, and
the place in the queue of a final that waits."""

import time

import numpy as np

from tests.fakes import EnergyVad, FakeClient, ScriptedTranscriber, SessionClient, silence, speech, words_of
from tests.unit.session_driver import CHUNK, Clock
from whisper_live.ladder import FULL, GREEDY, SHORT_CONTEXT, SLOW_PARTIALS, QualityLadder
from whisper_live.protocol import SAMPLE_RATE
from whisper_live.scheduler import Scheduler
from whisper_live.streaming import FINAL, PARTIAL, Stream, StreamConfig


def test_finals_go_before_partials_and_the_longest_wait_first():
    scheduler = Scheduler(ScriptedTranscriber(max_batch_size=1), workers=1)
    clients = [FakeClient("p-old", PARTIAL, since=1.0), FakeClient("f-new", FINAL, since=5.0),
               FakeClient("f-old", FINAL, since=2.0), FakeClient("p-new", PARTIAL, since=3.0)]
    for c in clients:
        scheduler.notify(c)
    order = []
    while batch := scheduler.select():
        order += [c.name for c, _, _ in batch]
        for c, w, _ in batch:
            c.deliver(w, None, None)
    assert order == ["f-old", "f-new", "p-old", "p-new"]


def test_batches_group_same_kind_up_to_the_backend_limit():
    scheduler = Scheduler(ScriptedTranscriber(max_batch_size=3), workers=1)
    finals = [FakeClient(f"f{i}", FINAL, since=i) for i in range(4)]
    partials = [FakeClient(f"p{i}", PARTIAL, since=i) for i in range(2)]
    for c in finals + partials:
        scheduler.notify(c)
    first = [c.name for c, _, _ in scheduler.select()]
    second = [c.name for c, _, _ in scheduler.select()]
    third = [c.name for c, _, _ in scheduler.select()]
    assert first == ["f0", "f1", "f2"]
    assert second == ["f3"]  # partials are not mixed into a batch of finals
    assert third == ["p0", "p1"]
    assert scheduler.select() == []  # every client has its one window in flight


def test_final_windows_can_be_sent_one_per_call():
    scheduler = Scheduler(ScriptedTranscriber(max_batch_size=4), workers=1, max_final_batch_size=1)
    finals = [FakeClient(f"f{i}", FINAL, since=i) for i in range(2)]
    partials = [FakeClient(f"p{i}", PARTIAL, since=i) for i in range(3)]
    for c in finals + partials:
        scheduler.notify(c)
    assert [[c.name for c, _, _ in scheduler.select()] for _ in range(3)] == [["f0"], ["f1"], ["p0", "p1", "p2"]]


def test_late_finals_step_the_quality_ladder_down_and_are_decoded_cheaper():
    now = [10.0]
    scheduler = Scheduler(ScriptedTranscriber(max_batch_size=4), workers=2, max_final_batch_size=1,
                          economy_wait=0.5, clock=lambda: now[0])
    fresh, late = FakeClient("fresh", FINAL, since=9.8), FakeClient("late", FINAL, since=9.4)
    partial = FakeClient("partial", PARTIAL, since=1.0)
    for c in (fresh, partial):
        scheduler.notify(c)
    assert [c.name for c, _, _ in scheduler.select()] == ["fresh"] and fresh.rung is FULL
    assert [c.name for c, _, _ in scheduler.select()] == ["partial"] and partial.rung is FULL
    scheduler.notify(late)
    [(_, window, _)] = scheduler.select()
    assert late.rung is SHORT_CONTEXT and window.rung == "short_context"  # waited 0.6 s: one rung down
    assert scheduler.ladder.rung is SHORT_CONTEXT
    # five finals for two workers, due after that move: the queue itself says the model is behind; the
    # ladder waits DOWN_AFTER between steps down
    now[0] += 0.5
    queued = [FakeClient(f"q{i}", FINAL, since=10.1 + i / 100) for i in range(5)]
    for c in queued:
        scheduler.notify(c)
    assert [c.name for c, _, _ in scheduler.select()] == ["q0"] and queued[0].rung is SHORT_CONTEXT
    now[0] += 1.0
    # greedy finals are decoded as partials are: one call for as many as the backend batches
    assert [c.name for c, _, _ in scheduler.select()] == ["q1", "q2", "q3", "q4"]
    assert all(c.rung is GREEDY for c in queued[1:])
    # a final that waited through the last move says nothing about the rung: the ladder stays
    stale = FakeClient("stale", FINAL, since=10.2)
    scheduler.notify(stale)
    now[0] += 10.0
    assert [c.name for c, _, _ in scheduler.select()] == ["stale"] and stale.rung is GREEDY
    # no late final for UP_AFTER s, and one on time: one rung back up
    fine = FakeClient("fine", FINAL, since=now[0] - 0.1)
    scheduler.notify(fine)
    assert [c.name for c, _, _ in scheduler.select()] == ["fine"] and fine.rung is SHORT_CONTEXT


def test_on_the_cheapest_rung_partials_wait_longer_and_finals_do_not():
    now = [100.0]
    ladder = QualityLadder(clock=lambda: now[0])
    scheduler = Scheduler(ScriptedTranscriber(max_batch_size=4), workers=1, clock=lambda: now[0], ladder=ladder)
    while ladder.rung is not SLOW_PARTIALS:  # finals late, a second apart: down to the cheapest rung
        now[0] += 1.0
        ladder.observe(True)
    young, old = FakeClient("young", PARTIAL, since=now[0] - 0.5), FakeClient("old", PARTIAL, since=now[0] - 2)
    final = FakeClient("final", FINAL, since=now[0] - 0.1)
    for c in (young, old, final):
        scheduler.notify(c)
    assert [c.name for c, _, _ in scheduler.select()] == ["final"] and final.rung is SLOW_PARTIALS
    assert [c.name for c, _, _ in scheduler.select()] == ["old"] and old.rung is SLOW_PARTIALS
    assert scheduler.select() == [] and scheduler._deferred  # young waited 0.5 s of 1.5: the workers look again
    now[0] += 1.0
    assert [c.name for c, _, _ in scheduler.select()] == ["young"]


def test_each_batch_tells_the_meter_what_its_finals_would_cost_on_the_cheapest_rung():
    scheduler = Scheduler(ScriptedTranscriber(max_batch_size=1), workers=1, max_final_batch_size=1)
    reports = []
    scheduler.on_batch = reports.append
    recorded = []
    scheduler.meter.record = lambda *args, **kw: recorded.append(kw)
    client = FakeClient("f", FINAL, since=time.monotonic())
    scheduler.notify(client)
    scheduler.run_batch(scheduler.select())
    assert reports[0].final_rungs == ["full"]
    assert recorded[0] == {"floor_share": GREEDY.cost / FULL.cost, "at_floor": False}


class PaddingTranscriber(ScriptedTranscriber):
    """Computes every window at least 8 s long, like the faster_whisper backend's trimmed encoder."""

    def padded_seconds(self, seconds, final=False):
        return max(seconds + 3.0, 8.0)


def test_the_oldest_window_leads_a_batch_filled_with_windows_of_like_length():
    scheduler = Scheduler(PaddingTranscriber(max_batch_size=3), workers=1)
    lengths = {"a12": 12, "b2": 2, "c11": 11, "d3": 3, "e10": 10, "f4": 4}
    clients = [FakeClient(name, PARTIAL, since=i, samples=sec * SAMPLE_RATE)
               for i, (name, sec) in enumerate(lengths.items())]
    for c in clients:
        scheduler.notify(c)
    assert [c.name for c, _, _ in scheduler.select()] == ["a12", "c11", "e10"]
    # the short ones all pad to 8 s: among them the longest wait goes first
    assert [c.name for c, _, _ in scheduler.select()] == ["b2", "d3", "f4"]


def test_a_short_window_that_waits_longest_is_not_passed_over():
    scheduler = Scheduler(PaddingTranscriber(max_batch_size=2), workers=1)
    old_short = FakeClient("short", PARTIAL, since=0.0, samples=2 * SAMPLE_RATE)
    longs = [FakeClient(f"long{i}", PARTIAL, since=1.0 + i, samples=12 * SAMPLE_RATE) for i in range(3)]
    for c in [old_short] + longs:
        scheduler.notify(c)
    assert [c.name for c, _, _ in scheduler.select()] == ["short", "long0"]  # it leads, a long one rides along


def test_a_batch_is_one_model_call_and_every_client_gets_its_result():
    model = ScriptedTranscriber(max_batch_size=4)
    scheduler = Scheduler(model, workers=1)
    clients = [FakeClient(f"c{i}", FINAL, since=i) for i in range(4)]
    for c in clients:
        scheduler.notify(c)
    scheduler.run_batch(scheduler.select())
    assert len(model.calls) == 1 and len(model.calls[0]) == 4
    assert all(len(c.delivered) == 1 and c.delivered[0][2] is None for c in clients)


def test_at_debug_level_each_model_call_is_logged_with_its_windows(caplog):
    scheduler = Scheduler(ScriptedTranscriber(max_batch_size=4), workers=1, clock=lambda: 3.5)
    clients = [FakeClient(f"c{i}", FINAL, since=i) for i in range(2)]
    for i, c in enumerate(clients):
        c.uid = f"uid-{i}"
        scheduler.notify(c)
    with caplog.at_level("DEBUG", logger="whisper_live.scheduler"):
        scheduler.run_batch(scheduler.select())
    # (each final with the rung it was decoded at: both waited, so at least short_context)
    scheduler_lines = [r.getMessage() for r in caplog.records if r.name == "whisper_live.scheduler"]
    assert scheduler_lines == ["batch of 2 in 0.00 s: uid-0 final 0.00-1.00 s, greedy, rung short_context "
                               "(waited 3.50 s); uid-1 final 0.00-1.00 s, greedy, rung short_context (waited 2.50 s)"]


def test_model_failure_is_delivered_as_an_error_and_the_worker_survives():
    class Broken(ScriptedTranscriber):
        def transcribe_batch(self, requests):
            raise RuntimeError("out of memory")

    scheduler = Scheduler(Broken(), workers=1)
    client = FakeClient("c", FINAL)
    scheduler.notify(client)
    scheduler.run_batch(scheduler.select())
    assert isinstance(client.delivered[0][2], RuntimeError)


def run_clients(n, model, audio, chunk=4096, pace=0.0):
    scheduler = Scheduler(model, workers=2)
    scheduler.start()
    clients = [SessionClient() for _ in range(n)]
    for i in range(0, len(audio), chunk):
        for c in clients:
            c.feed(audio[i:i + chunk])
            scheduler.notify(c)
        if pace:
            time.sleep(pace)
    for c in clients:
        with c.lock:
            c.stream.end_of_audio()
        scheduler.notify(c)
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline and not all(c.stream.finished for c in clients):
        time.sleep(0.01)
    scheduler.stop()
    return clients


def test_a_slow_model_gets_fewer_longer_windows_and_loses_no_word():
    audio = np.concatenate([np.concatenate([speech([i, i + 1, i + 2, i + 3]), silence(0.6)])
                            for i in range(0, 24, 4)])
    fast, slow = ScriptedTranscriber(delay=0.0), ScriptedTranscriber(delay=0.25)
    fast_clients = run_clients(4, fast, audio, pace=0.004)
    slow_clients = run_clients(4, slow, audio, pace=0.004)
    expected = [f"w{k}" for k in range(24)]
    for c in fast_clients + slow_clients:
        assert words_of(c.stream.completed) == expected
    windows_fast = sum(len(call) for call in fast.calls)
    windows_slow = sum(len(call) for call in slow.calls)
    assert windows_slow < windows_fast
    mean = lambda calls: np.mean([len(r.audio) for call in calls for r in call])
    assert mean(slow.calls) > mean(fast.calls)
    assert max(len(call) for call in slow.calls) > 1  # under load, clients were batched together


def test_silent_clients_cost_no_model_call():
    model = ScriptedTranscriber()
    run_clients(6, model, silence(20.0))
    assert model.calls == []


def test_the_scheduler_serves_the_client_whose_final_waited_longest_first():
    # "a" ends an utterance, then "b" does, then "a" another one, while the model is busy
    clock = Clock()
    a, b = (Stream(StreamConfig(), EnergyVad(), clock=clock) for _ in range(2))
    audio_a = np.concatenate([silence(0.5), speech([1, 2, 3]), silence(1.0), speech([4, 5]), silence(1.0)])
    audio_b = np.concatenate([silence(1.5), speech([7, 8]), silence(len(audio_a) / SAMPLE_RATE)])
    for i in range(0, len(audio_a), CHUNK):
        a.add_audio(audio_a[i:i + CHUNK])
        b.add_audio(audio_b[i:i + CHUNK])
        clock.now += CHUNK / SAMPLE_RATE
    assert a.pending().kind == b.pending().kind == FINAL and a.pending().since < b.pending().since
    scheduler = Scheduler(ScriptedTranscriber(max_batch_size=1), workers=1)
    scheduler.add(b)
    scheduler.add(a)
    ((chosen, window, _),) = scheduler.select()
    assert chosen is a and window.kind == FINAL
