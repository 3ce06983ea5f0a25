"""The choice of a compute type for each kind of work (whisper_live/transcriber/compute_types.py), with fake
timings and fake loads: the rule, float16's refusal on a CPU, the cache, and what stays loaded."""

import functools
import json
import threading
import time

import pytest

from whisper_live.transcriber import compute_types
from whisper_live.transcriber.compute_types import Choice, choose, resolve, unusable_reason


def timings(int8, float32):
    """{type: {work: seconds}} from (partial, final, file) seconds of each type."""
    return {t: dict(zip(compute_types.WORKS, times)) for t, times in (("int8", int8), ("float32", float32))}


def test_files_take_float32_when_it_costs_at_most_1_3x_and_finals_only_when_it_is_as_good_as_free():
    # an AVX2-only guest: float32 1.29x as long as int8 everywhere
    chosen = choose(timings((0.10, 0.50, 1.00), (0.129, 0.645, 1.29)))
    assert {w: c.compute_type for w, c in chosen.items()} == {"partial": "int8", "final": "int8", "file": "float32"}
    assert chosen["file"].reason == "more precise at 1.29x the time of int8 (at most 1.3x)"
    assert chosen["partial"].reason == "fastest"
    # a machine where float32 costs 1.05x: finals too; partials still take the fastest
    chosen = choose(timings((0.10, 0.50, 1.00), (0.105, 0.525, 1.05)))
    assert {w: c.compute_type for w, c in chosen.items()} == {"partial": "int8", "final": "float32",
                                                                "file": "float32"}
    # an AMX guest, where int8 is twice as fast: int8 everywhere
    chosen = choose(timings((0.05, 0.25, 0.5), (0.10, 0.50, 1.0)))
    assert {c.compute_type for c in chosen.values()} == {"int8"}


def test_a_more_precise_type_that_is_faster_is_taken_for_everything():
    chosen = choose(timings((0.10, 0.50, 1.00), (0.09, 0.45, 0.9)))
    assert {c.compute_type for c in chosen.values()} == {"float32"}
    assert all(c.reason == "fastest" for c in chosen.values())


def test_float16_is_refused_without_a_cuda_gpu_and_unknown_types_always():
    assert "CUDA" in unusable_reason("float16", "cpu")
    assert unusable_reason("float16", "cuda") is None
    assert unusable_reason("int8_float32", "cpu") is None
    assert "unknown" in unusable_reason("bfloat15", "cpu")
    with pytest.raises(ValueError, match="CUDA"):
        resolve("float16", "cpu", lambda t: None, None, "/nonexistent")


class FakeLoad:
    """A transcriber of one compute type whose fixed work takes ``seconds[work]`` on a fake clock."""

    def __init__(self, compute_type, clock, seconds):
        self.compute_type, self.clock, self.seconds, self.closed = compute_type, clock, seconds, False

    def decode_fixed(self, audio, beam_size, tokens, continued=False):
        work = next(w for w, probe in compute_types.PROBES.items() if probe[1:] == (beam_size, tokens, continued))
        self.clock.now += self.seconds[work]

    def close(self):
        self.closed = True


class Clock:
    now = 0.0

    def __call__(self):
        return self.now


def test_auto_times_each_type_once_per_machine_keeps_what_is_used_and_loads_from_the_cache_after(tmp_path,
                                                                                                monkeypatch):
    clock = Clock()
    monkeypatch.setattr(compute_types, "measure", functools.partial(compute_types.measure, clock=clock))
    costs = timings((0.10, 0.50, 1.00), (0.129, 0.645, 1.29))
    loads = []

    def load(compute_type):
        loads.append(FakeLoad(compute_type, clock, costs[compute_type]))
        return loads[-1]

    choices, loaded = resolve("auto", "cpu", load, tmp_path, "/nonexistent/model")
    assert [l.compute_type for l in loads] == ["int8", "float32"]  # both timed, both in use
    assert set(loaded) == {"int8", "float32"} and choices["file"] == Choice(
        "float32", "more precise at 1.29x the time of int8 (at most 1.3x)")
    cached = json.loads((tmp_path / compute_types.CACHE_FILE).read_text())
    [entry] = cached.values()
    assert entry["timings"]["float32"]["file"] == pytest.approx(1.29)
    # a restart: nothing timed, only the types in use loaded
    loads.clear()
    clock.now = 0.0
    again, loaded = resolve("auto", "cpu", load, tmp_path, "/nonexistent/model")
    assert again == choices and [l.compute_type for l in loads] == ["float32", "int8"] and clock.now == 0.0
    # a machine where int8 wins everywhere: the float32 load timed is closed again
    loads.clear()
    costs = timings((0.05, 0.25, 0.5), (0.10, 0.50, 1.0))
    choices, loaded = resolve("auto", "cpu", load, tmp_path / "other", "/nonexistent/model")
    assert set(loaded) == {"int8"} and [l.closed for l in loads] == [False, True]


def test_a_given_type_serves_every_kind_of_work_without_timing(tmp_path):
    choices, loaded = resolve("float32", "cpu", lambda t: f"model in {t}", tmp_path, "/nonexistent")
    assert loaded == {"float32": "model in float32"}
    assert {c.compute_type for c in choices.values()} == {"float32"} and "given" in choices["final"].reason
    assert not (tmp_path / compute_types.CACHE_FILE).exists()


def test_servers_starting_together_time_the_machine_once(tmp_path, monkeypatch):
    """A second server that starts while the first times the machine waits for its timings (the cache
    directory's lock) instead of timing it again, on a machine the first is loading."""
    clock = Clock()
    timed = []
    real_measure = compute_types.measure

    def measure(loaded):
        timed.append(sorted(loaded))
        return real_measure(loaded, clock=clock)

    monkeypatch.setattr(compute_types, "measure", measure)
    costs = timings((0.10, 0.50, 1.00), (0.129, 0.645, 1.29))
    second_loading = threading.Event()

    def first_load(compute_type):
        second_loading.wait(1.0)  # the second one, unless it waits on the lock, loads meanwhile
        return FakeLoad(compute_type, clock, costs[compute_type])

    def second_load(compute_type):
        second_loading.set()
        return FakeLoad(compute_type, clock, costs[compute_type])

    first = threading.Thread(target=resolve, args=("auto", "cpu", first_load, tmp_path, "/nonexistent/model"))
    first.start()
    time.sleep(0.1)  # the first one holds the lock by now
    choices, loaded = resolve("auto", "cpu", second_load, tmp_path, "/nonexistent/model")
    first.join(5)
    assert timed == [["float32", "int8"]] and set(loaded) == {"int8", "float32"}
    assert choices["file"].compute_type == "float32"
