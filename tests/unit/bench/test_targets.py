"""BENCHMARKS.md's targets table (whisper_live/bench/targets.py): per machine, the figure of each target
from that machine's records and whether it holds."""

from __future__ import annotations

from tests.unit.bench.fake_records import load_record, load_run, record
from whisper_live.bench import targets


def _call(calls, p90, wer=0.06, delivered=True):
    return record(f"phone-{calls}", {"calls": calls, "all_delivered": delivered, "in_order": True, "finals": 40,
                                     "final_latency_s": {"n": 40, "p50": 0.9, "p90": p90, "max": 2.0}, "wer": wer,
                                     "machine": {"speed": {"speed": 9.4}}, "per_call": []})


def _target(text):
    return next(t for t in targets.TARGETS if t.text.startswith(text))


def test_phone_calls_compare_with_the_clients_of_the_same_machine():
    records = {"phone-1": _call(1, 1.0, wer=0.0650), "phone-1-pcm": load_record("phone-1-pcm", [load_run(1, wer=0.06)])}
    assert targets.one_call(records) == ("WER 0.0650 against 0.0600", True)
    records["phone-1"] = _call(1, 1.0, wer=0.0670)
    assert targets.one_call(records)[1] is False
    assert targets.one_call({"phone-1": records["phone-1"]}) is None  # the comparison alone: not measured
    eight = {"phone-8": _call(8, 1.5), "phone-8-pcm": load_record("phone-8-pcm", [load_run(8, p90=1.6)])}
    assert targets.eight_calls(eight) == ("all delivered in order; final p90 1.50 s against 1.60 s", True)
    eight["phone-8"] = _call(8, 1.5, delivered=False)
    assert targets.eight_calls(eight)[1] is False


def test_room_readers_against_the_speaker_alone():
    room = {"readers": 1000, "complete": 1000, "every_reader_got_every_line": True, "delay_s": {"p99": 0.05}}
    records = {"room-0": load_record("room-0", [load_run(1, p90=1.0)]),
               "room-1000": load_record("room-1000", [load_run(1, p90=0.98, room=room)])}
    assert targets.thousand_readers(records)[1] is True
    records["room-1000"] = load_record("room-1000", [load_run(1, p90=0.98, room=dict(room, delay_s={"p99": 0.2}))])
    assert targets.thousand_readers(records)[1] is False
    stalled = dict(room, readers=90, complete=90, stalled={"readers": 10, "dropped": 9})
    records["room-stalled"] = load_record("room-stalled", [load_run(1, p90=0.9, room=stalled)])
    assert targets.stalled_readers(records) == (
        "90/90 got every line, 9/10 dropped; speaker p90 0.90 s against 1.00 s", False)


def test_a_target_with_a_part_not_measured_is_unknown_unless_another_part_misses():
    pcm = load_record("opus-pcm", [load_run(4, wer=0.060, bytes_per_audio_s=64000.0)])
    records = {"opus-pcm": pcm, "opus-24": load_record("opus-24", [load_run(4, wer=0.061, bytes_per_audio_s=3000.0)])}
    assert targets.opus_bytes(records) == ("3000 B/s, 1/21 of PCM", True)
    three = {"capacity-3x": load_record("capacity-3x", [load_run(15, p90=2.4, most=4.9)])}
    assert targets.three_times(three)[1] is None  # (offline greedy is not measured)
    three = {"capacity-3x": load_record("capacity-3x", [load_run(15, p90=2.6, most=4.9)])}
    assert targets.three_times(three)[1] is False



def test_three_times_capacity_holds_to_the_offline_greedy_wer_of_the_same_speakers():
    run = load_run(15, p90=2.4, most=4.9, wer=0.060, wer_offline_greedy=0.061)
    assert targets.three_times({"capacity-3x": load_record("capacity-3x", [run])}) == (
        "15 speakers, 15/15 finished, 2.40 / 4.90 s, WER 0.0600 against offline greedy 0.0610", True)
    worse = dict(run, wer=0.062)
    assert targets.three_times({"capacity-3x": load_record("capacity-3x", [worse])})[1] is False
    slow = dict(run, final_latency_s=dict(run["final_latency_s"], max=5.1))
    assert targets.three_times({"capacity-3x": load_record("capacity-3x", [slow])})[1] is False


def test_the_capacity_run_is_the_one_at_the_count_the_ramp_found():
    runs = [load_run(4, p90=1.0, most=1.9, wer=0.05), load_run(5, p90=1.5, most=3.5, wer=0.049, offline=0.05),
            load_run(6, p90=2.5, most=6.0)]
    records = {"capacity": load_record("capacity", runs, speed=10.0, max_clients_meeting_target=5)}
    assert targets.capacity_wer(records) == ("5 speakers (0.50 per unit of speed): WER 0.0490 against 0.0500", True)
    assert targets.slowest_final(records) == ("5 speakers: max 3.50 s, p90 1.50 s", False)


def test_the_table_has_a_column_per_machine_and_names_what_no_workload_measures():
    intel = {"diar-live-3": record("diar-live-3", {"accuracy": 0.96, "exact_labels": 3, "runs": [{}, {}, {}]},
                                   speed=26.0)}
    amd = {"silent-16": load_record("silent-16", [load_run(0, 16, p90=None)], speed=9.4)}
    text = targets.table({"avx512": intel, "avx2": amd})
    header, _, *rows = text.splitlines()
    assert header == "| area | target | AVX-512, speed 26.0 | AVX2 only, speed 9.4 |"
    labels = next(r for r in rows if r.startswith("| speakers | live, 3 speakers"))
    assert labels.endswith("| 96.0%, label count right in 3/3: **holds** | not measured yet |")
    silent = next(r for r in rows if "a silent client costs" in r)
    assert silent.endswith("| not measured yet | 18.75% of a core, 3.2 MB: **misses** |")
    assert _target("a webhook failing 3 times").text in text.splitlines()[-1]
    assert "not measured yet" in targets.table({})


def test_speaker_labels_live_and_through_rest_need_their_share_and_the_label_count():
    def diar(name, accuracy, exact):
        return {name: record(name, {"accuracy": accuracy, "exact_labels": exact, "runs": [{}, {}, {}]})}

    assert targets.live_labels(diar("diar-live-3", 0.951, 3)) == ("95.1%, label count right in 3/3", True)
    assert targets.live_labels(diar("diar-live-3", 0.99, 2))[1] is False
    assert targets.live_labels(diar("diar-3", 0.99, 3)) is None  # the labeller alone is not live
    assert targets.rest_labels(diar("diar-rest-4", 0.965, 3)) == ("96.5%, label count right in 3/3", False)
    assert targets.rest_labels(diar("diar-rest-4", 0.975, 3))[1] is True


def test_labels_cost_compares_8_clients_with_labels_against_the_same_without():
    def live(name, p90, wer, finished=8):
        return record(name, {"diarization": name[-2:].strip("-"), "finished": finished, "runs": [{}] * 8,
                             "final_latency_s": {"n": 80, "p50": 0.9, "p90": p90, "max": 3.0}, "wer": wer})

    records = {"diar-8-off": live("diar-8-off", 1.50, 0.0500), "diar-8-on": live("diar-8-on", 1.64, 0.0510)}
    assert targets.labels_cost(records) == ("final p90 1.64 s against 1.50 s without, WER 0.0510 against 0.0500",
                                            True)
    records["diar-8-on"] = live("diar-8-on", 1.66, 0.0510)
    assert targets.labels_cost(records)[1] is False  # 10.7% above
    records["diar-8-on"] = live("diar-8-on", 1.60, 0.0520)
    assert targets.labels_cost(records)[1] is False  # WER 4% above
    records["diar-8-on"] = live("diar-8-on", 1.60, None)
    assert targets.labels_cost(records)[1] is None
    records["diar-8-on"] = live("diar-8-on", 1.60, 0.05, finished=7)
    assert targets.labels_cost(records) == ("final p90 1.60 s against 1.50 s without, WER 0.0500 against 0.0500, "
                                            "NOT all finished", False)
    assert targets.labels_cost({"diar-8-on": records["diar-8-on"]}) is None


def _link(p90, until=21.0, drops=0):
    return record("opus-link", {"config": {"rate": "48kbit", "opus_s": 120.0, "pcm_s": 120.0},
                                "opus": {"final_latency_s": {"p50": 1.0, "p90": p90, "max": 2.5}, "drops": drops},
                                "pcm": {"link_backlog_s_every_30s": [10.0, 33.0], "first_drop_s": 75.2,
                                        "transcribed_until_s": until}})


def test_a_throttled_link_needs_opus_under_2_s_and_pcm_falling_behind():
    assert targets.throttled_link({"opus-link": _link(1.6)}) == (
        "Opus: final p90 1.60 s over 120 s, 0 drops; PCM: audio waiting for the link every 30 s [10.0, 33.0] s "
        "(dropped at 75 s), transcribed until 21 s of 120", True)
    assert targets.throttled_link({"opus-link": _link(2.1)})[1] is False
    assert targets.throttled_link({"opus-link": _link(1.6, drops=1)})[1] is False
    assert targets.throttled_link({"opus-link": _link(1.6, until=110.0)})[1] is False  # PCM kept up
    assert targets.throttled_link({}) is None


def test_opus_wer_compares_the_streaming_runs_with_pcm_s_and_is_unknown_with_one_rate_only():
    pcm = load_record("opus-pcm", [load_run(4, wer=0.060)])
    records = {"opus-pcm": pcm, "opus-24": load_record("opus-24", [load_run(4, wer=0.061)])}
    assert targets.opus_wer(records) == ("24 kbit/s 0.0610 against 0.0600", None)
    records["opus-12"] = load_record("opus-12", [load_run(4, wer=0.070)])
    assert targets.opus_wer(records)[1] is False  # 12 kbit/s: 17% worse
    records["opus-12"] = load_record("opus-12", [load_run(4, wer=0.064)])
    assert targets.opus_wer(records) == ("24 kbit/s 0.0610, 12 kbit/s 0.0640 against 0.0600", True)


def test_opus_wer_takes_the_mean_of_each_workload_s_runs():
    runs = lambda *wers: [load_run(4, wer=w) for w in wers]  # noqa: E731
    records = {"opus-pcm": load_record("opus-pcm", runs(0.040, 0.044, 0.042)),
               "opus-24": load_record("opus-24", runs(0.046, 0.041, 0.042)),
               "opus-12": load_record("opus-12", runs(0.045, 0.044, 0.046))}
    # one run pair alone would miss (0.046 against 0.040); the means are 0.0430 and 0.0420
    assert targets.opus_wer(records) == (
        "24 kbit/s 0.0430, 12 kbit/s 0.0450 against 0.0420 (means of 3 runs each)", True)
    records["opus-24"] = load_record("opus-24", runs(0.046, 0.045, 0.044))
    assert targets.opus_wer(records)[1] is False  # 0.0450: 7% worse
