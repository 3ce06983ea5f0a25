"""A load-bench run's row in BENCHMARKS.md's tables, the notes under it, and the figures they share.

A row: how many clients finished, final and partial latency, WER beside offline, the server's CPU and
memory (docs/benchmark.md defines each). Notes: what the columns cannot hold (drops, room readers, bytes
per audio second, capacity per unit of the machine's model speed, the quality ladder's rungs).
"""

from __future__ import annotations

from typing import Optional

from whisper_live.bench.workloads import BY_NAME

CAPACITY = ("capacity",)  # the ramps that measure a machine's capacity (the most speakers meeting the target)

HEADER = ("| run | finished | final p50 / p90 / max | partial p50 / p90 | WER (offline) | "
          "server CPU (per connection) | RSS peak (per client) |\n"
          "| --- | --- | --- | --- | --- | --- | --- |")


def _s(value: Optional[float]) -> str:
    return "-" if value is None else f"{value:.2f}"


def _latency(lat: dict, keys=("p50", "p90", "max")) -> str:
    if not lat or not lat.get("n"):
        return "-"
    return " / ".join(_s(lat[k]) for k in keys) + " s"


def _wer(run: dict) -> str:
    if run.get("wer") is None:
        return "-"
    text = f"{run['wer']:.4f}"
    if run.get("wer_offline") is not None:
        text += f" ({run['wer_offline']:.4f}"
        if run.get("wer_vs_offline") is not None:
            text += f", {run['wer_vs_offline'] * 100:+.1f}%"
        text += ")"
    return text


def _server(run: dict) -> tuple:
    srv = run.get("server") or {}

    def figure(key: str, form: str, unit: str) -> str:
        return "?" if srv.get(key) is None else f"{srv[key]:{form}}{unit}"
    if not srv:
        return "-", "-"
    cpu = f"{figure('cpu_percent', '.0f', '%')} ({figure('cpu_percent_per_client', '.2f', '%')})"
    rss = f"{figure('rss_peak_mb', '.0f', ' MB')} ({figure('rss_per_client_mb', '.1f', ' MB')})"
    return cpu, rss


def run_label(record: dict, run: dict) -> str:
    known = BY_NAME.get(record["workload"])
    n = run["clients"]
    return (known.title if known else record["title"]).format(n=n, speakers=f"{n} speaker{'' if n == 1 else 's'}")


def row(record: dict, run: dict) -> str:
    total = run["clients"] + run["silent"]
    finished = f"{run['finished']}/{total}"
    replies = run.get("replies") or {}
    if replies.get("wait") or replies.get("error"):
        finished += f", {replies.get('wait', 0)} WAIT, {replies.get('error', 0)} ERROR"
    cpu, rss = _server(run)
    return (f"| {run_label(record, run)} | {finished} | {_latency(run['final_latency_s'])} | "
            f"{_latency(run['partial_latency_s'], ('p50', 'p90'))} | {_wer(run)} | {cpu} | {rss} |")


def notes(record: dict, run: dict) -> list:
    """Lines under a table: what its columns cannot hold."""
    label = run_label(record, run)
    lines = []
    silent = run.get("silent_final_latency_s") or {}
    if silent.get("n"):
        lines.append(f"{label}: the silent clients' phrases, final latency "
                     f"{_latency(silent)} over {silent['n']} segments.")
    if run["silent"] and run.get("silent_words") and not record["result"]["config"].get("silent_speaks_every_s"):
        lines.append(f"{label}: {run['silent_words']} words for silent clients.")
    drops = run.get("drops")
    if drops:
        lines.append(f"{label}: {drops['drops']} drops, {drops['resumes']} resumed; of "
                     f"{drops['reference_words']} reference words {drops['words_lost']} lost and "
                     f"{drops['words_duplicated']} duplicated.")
    if run.get("room"):
        lines.append(f"{label}: {room_note(run['room'])}")
    codec = record["result"]["config"].get("codec")
    if codec and codec != "float32" and run.get("bytes_per_audio_s"):
        lines.append(f"{label}: {run['bytes_per_audio_s']:.0f} bytes per second of audio (float32 PCM: 64000).")
    speed = machine_speed(record)
    if speed and _all_served(run) and len(record["result"]["runs"]) == 1:  # (a ramp's: one line, record_notes)
        lines.append(f"{label}: {per_unit_of_speed(run['clients'], speed):.2f} speakers per unit "
                     f"of machine speed ({speed:.1f}).")
    for upload in run.get("uploads") or []:
        lines.append(f"{label}: the file ({upload['audio_s']:.0f} s) transcribed in "
                     f"{upload['seconds']:.0f} s (real-time factor {upload['rtf']:.2f}), WER {upload['wer']:.3f}.")
    return lines


def room_note(room: dict) -> str:
    """A run's room readers (bench/room_figures.py) in a sentence."""
    delay = room.get("delay_s") or {}
    text = (f"{room['complete']}/{room['readers']} readers ({room.get('sse', 0)} SSE, {room.get('ws', 0)} WebSocket) "
            f"got all {room['lines_per_reader']} lines; delay after the speaker's own client p50 "
            f"{_s(delay.get('p50'))} s, p99 {_s(delay.get('p99'))} s")
    stalled = room.get("stalled")
    if stalled:
        text += f"; of {stalled['readers']} readers that never read, {stalled['dropped']} dropped"
    return text + "."


def _all_served(run: dict) -> bool:
    return bool(run["clients"]) and run["finished"] == run["clients"] + run["silent"]


def record_notes(record: dict) -> list:
    """Lines under a table about a whole record: a ramp's speakers per unit of machine speed, the capacity it
    found, the finals by the ladder's rung."""
    lines = []
    result = record["result"]
    speed, runs = machine_speed(record), [run for run in result["runs"] if _all_served(run)]
    if speed and runs and len(result["runs"]) > 1:
        lines.append(f"{record['workload']}: speakers per unit of machine speed ({speed:.1f}): " + ", ".join(
            f"{per_unit_of_speed(run['clients'], speed):.2f} ({run['clients']})" for run in runs) + ".")
    if record["workload"] in CAPACITY:
        config = result.get("config") or {}
        capacity = result.get("max_clients_meeting_target")
        speed = machine_speed(record)
        per_unit = (f" ({per_unit_of_speed(capacity, speed):.2f} per unit of machine speed)"
                    if capacity and speed else "")
        lines.append(f"{record['workload']}: {capacity or 'no'} speakers the most that meet final p90 ≤ "
                     f"{config.get('target_p90')} s, max ≤ {config.get('target_max')} s{per_unit}.")
    offline = result.get("offline") or {}
    coded = offline.get("through_codec")
    if coded and offline.get("wer") is not None:
        rate = f" at {coded['bitrate_kbps']} kbit/s" if coded.get("bitrate_kbps") else ""
        lines.append(f"{record['workload']}: offline WER of the audio through {coded['codec']}{rate} "
                     f"{coded['wer']:.4f}, of the audio itself {offline['wer']:.4f} "
                     f"({(coded['wer'] - offline['wer']) / offline['wer']:+.1%}).")
    rungs = (record.get("server_metrics") or {}).get("final_windows_by_rung")
    if rungs:
        total = sum(rungs.values()) or 1
        lines.append(f"{record['workload']}: final windows by the ladder's rung: " + ", ".join(
            f"{rung} {count} ({count / total:.0%})" for rung, count in rungs.items()) + ".")
    return lines


def machine_speed(record: dict) -> Optional[float]:
    """The speed of the machine a record was measured on (bench/machine_speed.py), when the bench measured it."""
    speed = ((record.get("result") or {}).get("machine") or {}).get("speed") or \
        (record.get("machine") or {}).get("speed") or {}
    return speed.get("speed")


def per_unit_of_speed(speakers: int, speed: float) -> float:
    """A capacity in speakers per unit of machine speed: comparable across machines."""
    return speakers / speed
