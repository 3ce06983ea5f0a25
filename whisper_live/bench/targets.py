"""BENCHMARKS.md's targets table: each target, and per machine the figure measured and whether it holds.

Every figure comes from the workloads' records of one machine (a comparison never mixes two machines):
a target compares two workloads of the same folder, run one after the other on that machine. A target
holds, misses, or is unknown when a part of it is not measured; a machine without the workloads a target
needs says "not measured yet". Targets that no workload measures yet are named under the table.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, Optional

from whisper_live.bench.table_rows import machine_speed, per_unit_of_speed
from whisper_live.bench.workload_run import FAMILIES

NOT_YET = "not measured yet"
Cell = Optional[tuple]  # (figure, holds: True | False | None for unknown); None: not measured


@dataclass(frozen=True)
class Target:
    area: str
    text: str
    measure: Optional[Callable[[dict], Cell]]  # a machine's records -> its cell; None: no workload measures it
    elsewhere: str = ""  # (measure None) what checks it instead, or what a bench lacks for it


def _run(records: dict, name: str, clients: Optional[int] = None) -> Optional[dict]:
    """The load bench's run of a workload (the one with ``clients`` speakers, else its first)."""
    if name not in records or "runs" not in records[name]["result"]:
        return None
    runs = records[name]["result"]["runs"]
    return next((r for r in runs if clients is None or r["clients"] == clients), None)


def _finished(run: dict) -> bool:
    return run["finished"] == run["clients"] + run["silent"]


def _final(run: dict) -> tuple:
    lat = run["final_latency_s"]
    return lat.get("p90"), lat.get("max")


def _f(value, digits: int = 2) -> str:
    return "-" if value is None else f"{value:.{digits}f}"


def _within(value, reference, share: float) -> bool:
    return value is not None and reference is not None and value <= reference * (1 + share)


def eight_speakers(records: dict) -> Cell:
    found = [(n, _run(records, n)) for n in ("speakers-8", "mixed") if _run(records, n)]
    if not found:
        return None
    holds = all(_finished(r) and _final(r)[0] is not None and _final(r)[0] <= 2 and _final(r)[1] <= 4
                for _, r in found)
    return "; ".join(f"{n} {_f(_final(r)[0])} / {_f(_final(r)[1])} s" for n, r in found), holds


def eight_speakers_wer(records: dict) -> Cell:
    found = [(n, _run(records, n)) for n in ("speakers-8", "mixed") if _run(records, n)]
    found = [(n, r) for n, r in found if r.get("wer_vs_offline") is not None]
    if not found:
        return None
    return ("; ".join(f"{n} {r['wer_vs_offline'] * 100:+.1f}%" for n, r in found),
            all(r["wer_vs_offline"] <= 0.10 for _, r in found))


def beside_silent(records: dict) -> Cell:
    run = _run(records, "silent-12")
    if not run:
        return None
    p90, most = _final(run)
    return f"{_f(p90)} / {_f(most)} s", _finished(run) and p90 is not None and p90 <= 2 and most <= 4


def silent_cost(records: dict) -> Cell:
    server = (_run(records, "silent-16") or {}).get("server") or {}
    cpu, rss = server.get("cpu_percent_per_client"), server.get("rss_per_client_mb")
    if cpu is None or rss is None:
        return None
    return f"{cpu:.2f}% of a core, {rss:.1f} MB", cpu < 1 and rss < 10


def _call(records: dict, name: str) -> Optional[dict]:
    return records[name]["result"] if name in records and "calls" in records[name]["result"] else None


def one_call(records: dict) -> Cell:
    call, pcm = _call(records, "phone-1"), _run(records, "phone-1-pcm")
    if not call or not pcm or call.get("wer") is None or pcm.get("wer") is None:
        return None
    return f"WER {call['wer']:.4f} against {pcm['wer']:.4f}", _within(call["wer"], pcm["wer"], 0.10)


def eight_calls(records: dict) -> Cell:
    calls, pcm = _call(records, "phone-8"), _run(records, "phone-8-pcm")
    if not calls or not pcm:
        return None
    p90, pcm_p90 = calls["final_latency_s"].get("p90"), _final(pcm)[0]
    delivered = calls["all_delivered"] and calls["in_order"]
    return (f"{'all' if delivered else 'NOT all'} delivered in order; final p90 {_f(p90)} s against {_f(pcm_p90)} s",
            delivered and p90 is not None and pcm_p90 is not None and p90 <= pcm_p90)


def _room(records: dict, name: str) -> tuple:
    run, alone = _run(records, name), _run(records, "room-0")
    return (run, run.get("room") if run else None, alone)


def thousand_readers(records: dict) -> Cell:
    run, room, alone = _room(records, "room-1000")
    if not room or not alone:
        return None
    p99 = room["delay_s"].get("p99")
    p90, alone_p90 = _final(run)[0], _final(alone)[0]
    return (f"{room['complete']}/{room['readers']} got every line, delay p99 {_f(p99, 3)} s; speaker p90 "
            f"{_f(p90)} s against {_f(alone_p90)} s",
            room["every_reader_got_every_line"] and p99 is not None and p99 <= 0.1 and p90 <= alone_p90)


def stalled_readers(records: dict) -> Cell:
    run, room, alone = _room(records, "room-stalled")
    if not room or not alone or not room.get("stalled"):
        return None
    stalled, p90, alone_p90 = room["stalled"], _final(run)[0], _final(alone)[0]
    return (f"{room['complete']}/{room['readers']} got every line, {stalled['dropped']}/{stalled['readers']} "
            f"dropped; speaker p90 {_f(p90)} s against {_f(alone_p90)} s",
            room["every_reader_got_every_line"] and stalled["dropped"] == stalled["readers"] and p90 <= alone_p90)


def meeting(records: dict) -> Cell:
    run, room, _ = _room(records, "meeting-4")
    if not room:
        return None
    transcript = run.get("room_transcript") or {}  # (--room: the room's own transcript checked)
    if not transcript.get("fetched"):
        return (f"{room['complete']}/{room['readers']} readers got every line of the 4; "
                "room transcript not checked", False)
    held = sum(s["segments"] - s["missing"] for s in transcript["speakers"].values())
    every = sum(s["segments"] for s in transcript["speakers"].values())
    return (f"room transcript: {held}/{every} segments of the 4, "
            f"{'in' if transcript['time_ordered'] else 'not in'} time order, "
            f"{'named' if transcript['labelled'] else 'not all named'}; "
            f"{room['complete']}/{room['readers']} readers got every line",
            room["every_reader_got_every_line"] and transcript["complete"] and transcript["time_ordered"]
            and transcript["labelled"])


def opus_bytes(records: dict) -> Cell:
    opus, pcm = _run(records, "opus-24"), _run(records, "opus-pcm")
    if not opus or not opus.get("bytes_per_audio_s"):
        return None
    reference = (pcm or {}).get("bytes_per_audio_s") or 64000
    return (f"{opus['bytes_per_audio_s']:.0f} B/s, 1/{reference / opus['bytes_per_audio_s']:.0f} of PCM",
            opus["bytes_per_audio_s"] <= reference / 15)


def opus_wer(records: dict) -> Cell:
    """The streaming runs' WER through Opus against PCM's, each the mean over the workload's runs (the same
    speakers, the same reference words in each: so the mean is their pooled corpus WER). Each run's offline
    WER through the codec is a note under its table (bench/table_rows.py)."""
    pcm, runs = _mean_wer(records, "opus-pcm")
    found = [(kbps, _mean_wer(records, f"opus-{kbps}")[0], share) for kbps, share in ((24, 0.03), (12, 0.10))]
    found = [(kbps, wer, share) for kbps, wer, share in found if wer is not None]
    if pcm is None or not found:
        return None
    within = all(_within(wer, pcm, share) for _, wer, share in found)
    holds = within if len(found) == 2 else (None if within else False)  # (one rate not measured: unknown)
    return (", ".join(f"{kbps} kbit/s {wer:.4f}" for kbps, wer, _ in found) + f" against {pcm:.4f}"
            + (f" (means of {runs} runs each)" if runs > 1 else ""), holds)


def _mean_wer(records: dict, name: str) -> tuple:
    """(the mean WER of a workload's runs, how many), or (None, 0)."""
    if name not in records or "runs" not in records[name]["result"]:
        return None, 0
    wers = [run["wer"] for run in records[name]["result"]["runs"] if run.get("wer") is not None]
    return (round(sum(wers) / len(wers), 4), len(wers)) if wers else (None, 0)


def opus_decoding(records: dict) -> Cell:
    opus, pcm = _run(records, "opus-16"), _run(records, "opus-16-pcm")
    cpu = [((r or {}).get("server") or {}).get("cpu_percent") for r in (opus, pcm)]
    if None in cpu:
        return None
    per_client = (cpu[0] - cpu[1]) / (opus["clients"] + opus["silent"])
    return f"{per_client:+.2f}% of a core per client", per_client <= 1


def throttled_link(records: dict) -> Cell:
    """Opus under 2 s at p90 without a drop; PCM behind: its transcript short of half the talk at the end."""
    r = (records.get("opus-link") or {}).get("result")
    if not r:
        return None
    opus, pcm, p90 = r["opus"], r.get("pcm"), r["opus"]["final_latency_s"].get("p90")
    text = f"Opus: final p90 {_f(p90)} s over {r['config']['opus_s']:.0f} s, {opus['drops']} drops"
    behind = None
    if pcm:
        talk = r["config"]["pcm_s"]
        behind = pcm["transcribed_until_s"] < talk / 2
        text += (f"; PCM: audio waiting for the link every 30 s {pcm['link_backlog_s_every_30s']} s"
                 + (f" (dropped at {pcm['first_drop_s']:.0f} s)" if pcm.get("first_drop_s") is not None else "")
                 + f", transcribed until {pcm['transcribed_until_s']:.0f} s of {talk:.0f}")
    holds = p90 is not None and p90 < 2 and opus["drops"] == 0
    return text, (behind if holds else False)  # (behind None: no PCM run, unknown)


def _labels(records: dict, name: str, least: float) -> Cell:
    """A diarization workload's share of speech time attributed right (at least ``least``) and label count."""
    if name not in records or "accuracy" not in records[name]["result"]:
        return None
    r = records[name]["result"]
    return (f"{r['accuracy']:.1%}, label count right in {r['exact_labels']}/{len(r['runs'])}",
            r["accuracy"] >= least and r["exact_labels"] == len(r["runs"]))


def live_labels(records: dict) -> Cell:
    return _labels(records, "diar-live-3", 0.95)


def rest_labels(records: dict) -> Cell:
    return _labels(records, "diar-rest-4", 0.97)


LABELS_WER_SHARE = 0.03  # "WER unchanged": the WER with labels within 3% (relative) of the WER without


def labels_cost(records: dict) -> Cell:
    found = [(records.get(name) or {}).get("result") for name in ("diar-8-on", "diar-8-off")]
    if None in found or any(r.get("final_latency_s", {}).get("p90") is None for r in found):
        return None
    (on, off), p90 = found, [r["final_latency_s"]["p90"] for r in found]
    finished = all(r["finished"] == len(r["runs"]) for r in found)
    wer_holds = None if None in (on.get("wer"), off.get("wer")) else _within(on["wer"], off["wer"], LABELS_WER_SHARE)
    holds = finished and _within(p90[0], p90[1], 0.10) and wer_holds
    return (f"final p90 {p90[0]:.2f} s against {p90[1]:.2f} s without, WER {_f(on.get('wer'), 4)} against "
            f"{_f(off.get('wer'), 4)}" + ("" if finished else ", NOT all finished"), holds)


def _at_capacity(records: dict) -> tuple:
    result = records["capacity"]["result"] if "capacity" in records else {}
    capacity = result.get("max_clients_meeting_target")
    return capacity, (_run(records, "capacity", capacity) if capacity else None)


def capacity_wer(records: dict) -> Cell:
    capacity, run = _at_capacity(records)
    if not run or run.get("wer") is None or run.get("wer_offline") is None:
        return None
    speed = machine_speed(records["capacity"])
    unit = f" ({per_unit_of_speed(capacity, speed):.2f} per unit of speed)" if speed else ""
    return (f"{capacity} speakers{unit}: WER {run['wer']:.4f} against {run['wer_offline']:.4f}",
            run["wer"] <= run["wer_offline"])


def three_times(records: dict) -> Cell:
    run = _run(records, "capacity-3x")
    if not run:
        return None
    p90, most = _final(run)
    greedy = run.get("wer_offline_greedy")
    holds = _finished(run) and p90 is not None and p90 <= 2.5 and most <= 5
    figures = f"{run['clients']} speakers, {run['finished']}/{run['clients']} finished, {_f(p90)} / {_f(most)} s, "
    if greedy is None or run.get("wer") is None:
        return figures + f"WER {_f(run.get('wer'), 4)} (offline greedy: not measured)", None if holds else False
    return figures + f"WER {run['wer']:.4f} against offline greedy {greedy:.4f}", holds and run["wer"] <= greedy


def slowest_final(records: dict) -> Cell:
    capacity, run = _at_capacity(records)
    if not run:
        return None
    p90, most = _final(run)
    return f"{capacity} speakers: max {_f(most)} s, p90 {_f(p90)} s", most <= 2 * p90


def rest_file(records: dict) -> Cell:
    if "file-auto" not in records:
        return None
    r = records["file-auto"]["result"]
    api, local = r["api"], r["faster_whisper"]
    if api.get("wer") is None:
        return None
    ratio = api["seconds"] / local["seconds"]
    return (f"WER {api['wer']:.4f} against {local['wer']:.4f}, {ratio:.2f}x its time",
            api["wer"] <= local["wer"] and ratio <= 1.25)


TARGETS = (
    Target("load", "8 continuous speakers all finish, final p90 ≤ 2 s and max ≤ 4 s", eight_speakers),
    Target("load", "their WER within 10% (relative) of the same model offline", eight_speakers_wer),
    Target("load", "4 speakers beside 12 silent clients keep those figures", beside_silent),
    Target("load", "a silent client costs under 1% of a core and under 10 MB", silent_cost),
    Target("phones", "1 call, mu-law 8 kHz: WER within 10% of the same audio as 16 kHz PCM", one_call),
    Target("phones", "8 calls, both tracks: every final delivered in order; final p90 no worse than 8 clients",
           eight_calls),
    Target("phones", "a webhook failing 3 times, or never answering, loses nothing and slows no other call", None,
           "tests/integration/test_twilio.py"),
    Target("rooms", "1 speaker, 1000 readers: every reader gets every line, delay p99 ≤ 100 ms, the speaker's "
                    "p90 no worse than alone", thousand_readers),
    Target("rooms", "100 readers, 10 never reading: the others get every line, the 10 are dropped, the speaker "
                    "unaffected", stalled_readers),
    Target("rooms", "4 named publishers in one room: every segment of each, in time order", meeting),
    Target("opus", "Opus 24 kbit/s: at most 1/15 of float32 PCM's bytes", opus_bytes),
    Target("opus", "WER within 3% of PCM at 24 kbit/s, within 10% at 12 kbit/s", opus_wer),
    Target("opus", "decoding costs at most 1% of a core per client, with 16 clients", opus_decoding),
    Target("opus", "a link throttled to 48 kbit/s, a 2-minute talk: adaptive Opus keeps final p90 under 2 s; "
                   "PCM falls behind", throttled_link),
    Target("speakers", "live, 3 speakers: ≥ 95% of speech time to the right speaker, exactly 3 labels", live_labels),
    Target("speakers", "a file through REST, 4 speakers: ≥ 97%, 4 labels", rest_labels),
    Target("speakers", "8 clients with speaker labels: final p90 at most 10% above without, WER unchanged",
           labels_cost),
    Target("ladder", "at capacity (admission on): streaming WER no worse than offline beam 5", capacity_wer),
    Target("ladder", "3 x capacity, admission off: all finish, final p90 ≤ 2.5 s, max ≤ 5 s, WER no worse than "
                     "offline greedy", three_times),
    Target("ladder", "at capacity: the slowest final at most twice the p90", slowest_final),
    Target("ladder", "a file through REST (--compute_type auto): WER no worse than faster-whisper's default "
                     "type, in at most 1.25x its time", rest_file),
)


def cell(target: Target, records: dict) -> str:
    measured = target.measure(records) if records else None
    if measured is None:
        return NOT_YET
    figure, holds = measured
    return f"{figure}: " + {True: "**holds**", False: "**misses**", None: "unknown"}[holds]


def column(family: str, records: dict) -> str:
    speeds = sorted(s for s in map(machine_speed, records.values()) if s)
    speed = f", speed {speeds[0]:.1f}" + (f" to {speeds[-1]:.1f}" if speeds[-1] != speeds[0] else "") if speeds else ""
    return f"{FAMILIES.get(family, family)}{speed}"


def table(machines: dict) -> str:
    """The targets table: a column per machine (``machines``: each family's records)."""
    measurable = [t for t in TARGETS if t.measure]
    columns = list(machines.items()) or [("avx512", {})]
    lines = ["| area | target | " + " | ".join(column(f, r) for f, r in columns) + " |",
             "| --- | --- | " + " | ".join("---" for _ in columns) + " |"]
    for target in measurable:
        lines.append(f"| {target.area} | {target.text} | " + " | ".join(cell(target, r) for _, r in columns) + " |")
    later = [t for t in TARGETS if not t.measure]
    text = "\n".join(lines) + "\n"
    if later:
        text += "\nNot from a workload: " + "; ".join(
            f"{t.area}: {t.text} ({t.elsewhere})" for t in later) + ".\n"
    return text
