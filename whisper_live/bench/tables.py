"""BENCHMARKS.md's tables, from the JSON files that ``python -m whisper_live.bench.workloads`` writes.

Each run that finished all its clients also gives its capacity per unit of the machine's speed (the bundled
model's offline real-time factor, measured by the bench in the same run: bench/machine_speed.py), so
that figures from different machines compare. ``python -m whisper_live.bench.tables benchmarks/results``
prints the markdown; ``--update BENCHMARKS.md``
replaces each block between ``<!-- generated: NAME -->`` and ``<!-- end generated -->`` in that file
with its table (a table whose runs are missing says so), so that every figure there comes from a file.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from pathlib import Path
from typing import Optional

from whisper_live.bench.workloads import BY_NAME

NOT_MEASURED = "*Not yet measured on the current code.*"
# Each table of BENCHMARKS.md: its block name and the workloads whose runs are its rows.
TABLES = {
    "speakers": ("speakers-8", "speakers-16"),
    "silent": ("silent-12", "silent-12-speaking", "silent-16"),
    "mixed": ("mixed",),
    "drops": ("drops-8",),
    "thread-per-client": ("thread-per-client",),
    "base": ("base",),
    "encoder-window": ("speakers-24", "speakers-24-full-window", "base-8"),
    "openvino": ("openvino",),
    "whisperlive": ("whisperlive",),
    "haproxy": ("haproxy-2",),
    "api": ("upload-8",),
}
BLOCK = re.compile(r"(<!-- generated: ([\w-]+) -->\n)(.*?)(<!-- end generated -->)", re.S)
HEADER = ("| run | finished | final p50 / p90 / max | partial p50 / p90 | WER (offline) | "
          "server CPU (per connection) | RSS peak (per client) |\n"
          "| --- | --- | --- | --- | --- | --- | --- |")


def load(folder: Path) -> dict:
    """The records in ``folder`` by workload name; a run that gave no result is left out."""
    records = {}
    for path in sorted(folder.glob("*.json")):
        record = json.loads(path.read_text())
        if record.get("result"):
            records[record.get("workload", path.stem)] = record
    return records


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
    lines = []
    silent = run.get("silent_final_latency_s") or {}
    if silent.get("n"):
        lines.append(f"{run_label(record, run)}: the silent clients' phrases, final latency "
                     f"{_latency(silent)} over {silent['n']} segments.")
    if run["silent"] and run.get("silent_words") and not record["result"]["config"].get("silent_speaks_every_s"):
        lines.append(f"{run_label(record, run)}: {run['silent_words']} words for silent clients.")
    drops = run.get("drops")
    if drops:
        lines.append(f"{run_label(record, run)}: {drops['drops']} drops, {drops['resumes']} resumed; of "
                     f"{drops['reference_words']} reference words {drops['words_lost']} lost and "
                     f"{drops['words_duplicated']} duplicated.")
    speed = machine_speed(record)
    if speed and run["clients"] and run["finished"] == run["clients"] + run["silent"]:
        lines.append(f"{run_label(record, run)}: {per_unit_of_speed(run['clients'], speed):.2f} speakers per unit "
                     f"of machine speed ({speed:.1f}).")
    for upload in run.get("uploads") or []:
        lines.append(f"{run_label(record, run)}: the file ({upload['audio_s']:.0f} s) transcribed in "
                     f"{upload['seconds']:.0f} s (real-time factor {upload['rtf']:.2f}), WER {upload['wer']:.3f}.")
    return lines


def machine_speed(record: dict) -> Optional[float]:
    """The speed of the machine a record was measured on (bench/machine_speed.py), when the bench measured it."""
    speed = ((record.get("result") or {}).get("machine") or {}).get("speed") or {}
    return speed.get("speed")


def per_unit_of_speed(speakers: int, speed: float) -> float:
    """A capacity in speakers per unit of machine speed: comparable across machines."""
    return speakers / speed


def api_file(records: dict) -> str:
    """One file alone through the API against faster-whisper's own transcribe (bench.api_file)."""
    record = records.get("api-file")
    if record is None:
        return ""
    r = record["result"]
    return (f"\nA file alone ({r['audio_s']:.0f} s, {r['model']}, beam {r['beam_size']}, {r['threads']} thread): "
            f"through the API {r['api']['seconds']:.1f} s, faster-whisper's own `transcribe` "
            f"{r['faster_whisper']['seconds']:.1f} s (best of {len(r['api']['all_seconds'])}): "
            f"{r['speed_vs_faster_whisper'] * 100:.0f}% of its speed; WER {r['api']['wer']:.3f} against "
            f"{r['faster_whisper']['wer']:.3f}.\n")


def table(name: str, records: dict) -> str:
    present = [records[w] for w in TABLES[name] if w in records]
    missing = [w for w in TABLES[name] if w not in records]
    if not present:
        return NOT_MEASURED + "\n"
    rows, below = [], []
    for record in present:
        for run in record["result"]["runs"]:
            rows.append(row(record, run))
            below += notes(record, run)
    text = HEADER + "\n" + "\n".join(rows) + "\n"
    if below:
        text += "\n" + "\n".join(below) + "\n"
    if missing:
        text += f"\nNot yet measured on the current code: {', '.join(missing)}.\n"
    return text


def setup(records: dict) -> str:
    """The code, the machine and the software of the runs: each run's commit, and each distinct machine
    (its kernels listed together) and package version once."""
    if not records:
        return NOT_MEASURED + "\n"
    dates = sorted(r["started"][:10] for r in records.values())
    runs = ", ".join(f"{n} ({(r.get('commit') or '?')[:7]})" for n, r in sorted(records.items()))
    lines = [f"- **Runs** (code): {runs}; {dates[0]}" + (f" to {dates[-1]}" if dates[-1] != dates[0] else "")]
    machines: dict = {}
    versions: dict = {}
    for record in records.values():
        m = record["machine"]
        key = (m.get("cpu", "?"), m.get("cpus"), m.get("memory_gb"), m.get("python"))
        platforms = machines.setdefault(key, [])
        if m.get("platform") not in platforms:
            platforms.append(m.get("platform"))
        for package, version in record["software"].items():
            if version not in versions.setdefault(package, []):
                versions[package].append(version)
    speeds: dict = {}
    for record in records.values():
        m = record["machine"]
        if machine_speed(record):
            speeds.setdefault((m.get("cpu", "?"), m.get("cpus"), m.get("memory_gb"), m.get("python")), []).append(
                machine_speed(record))
    for key, platforms in machines.items():
        cpu, cpus, mem, py = key
        speed = f"; speed {min(speeds[key]):.1f} to {max(speeds[key]):.1f} (tiny.en int8 beam 5, one thread: " \
                f"audio s per s)" if key in speeds else ""
        lines.append(f"- **Machine**: {cpu}, {cpus} cores, {mem} GB; {' / '.join(map(str, platforms))}; "
                     f"Python {py}{speed}")
    lines.append("- **Software**: " + ", ".join(f"{k} {' / '.join(v)}" for k, v in sorted(versions.items())))
    return "\n".join(lines) + "\n"


def render(name: str, records: dict) -> str:
    if name == "setup":
        return setup(records)
    if name == "api":
        return table(name, records) + api_file(records)
    return table(name, records)


def update(document: str, records: dict) -> str:
    def replace(match: re.Match) -> str:
        name = match.group(2)
        if name not in TABLES and name != "setup":
            raise SystemExit(f"unknown generated block {name!r}")
        return match.group(1) + render(name, records) + match.group(4)
    return BLOCK.sub(replace, document)


def main(argv: Optional[list] = None) -> int:
    p = argparse.ArgumentParser(prog="python -m whisper_live.bench.tables",
                                description="Markdown tables from the workloads' JSON files.")
    p.add_argument("folder", help="the folder of <workload>.json files (benchmarks/results)")
    p.add_argument("--update", metavar="FILE", help="rewrite the generated blocks of FILE (BENCHMARKS.md)")
    args = p.parse_args(argv)
    records = load(Path(args.folder))
    unknown = sorted(set(records) - set(BY_NAME) - {"api-file"})
    if unknown:
        print(f"ignored, not a workload: {', '.join(unknown)}", file=sys.stderr)
    if args.update:
        path = Path(args.update)
        path.write_text(update(path.read_text(), records))
        return 0
    for name in ("setup", *TABLES):
        print(f"### {name}\n\n{render(name, records)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
