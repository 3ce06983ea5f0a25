"""BENCHMARKS.md's tables, from the JSON files that ``python -m whisper_live.bench.workloads`` writes.

Each machine's results are a folder: ``benchmarks/results`` itself (the AVX-512 guest's) and one folder
per other CPU family in it (``benchmarks/results/avx2``). A block renders each machine's table apart,
under a line naming the machine, its model speed (measured in the same runs: bench/machine_speed.py)
and the runs' dates, so that no figure is compared across machines; each run that finished all its
clients also gives its capacity per unit of that speed, which does compare. The targets table
(bench/targets.py) says per machine which target holds, and the phone-call, speaker-label and file
tables are bench/area_tables.py's. ``python -m whisper_live.bench.tables benchmarks/results`` prints
the markdown; ``--update BENCHMARKS.md benchmarks/AREAS.md benchmarks/CONFIGURATIONS.md`` replaces each
block between ``<!-- generated: NAME -->`` and ``<!-- end generated -->`` in those files with its table (a
table whose runs are missing says so), so that every figure there comes from a file.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from pathlib import Path
from typing import Optional

from whisper_live.bench import area_tables, targets
from whisper_live.bench.table_rows import HEADER, machine_speed, notes, record_notes, row  # noqa: F401
from whisper_live.bench.workload_run import FAMILIES, PRIMARY_FAMILY
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
    "whisperlive": ("whisperlive", "whisperlive-batch"),
    "haproxy": ("haproxy-2",),
    "api": ("upload-8",),
    "rooms": ("room-0", "room-1000", "room-stalled", "meeting-4"),
    "opus": ("opus-pcm", "opus-24", "opus-12"),
    "opus-decode": ("opus-16-pcm", "opus-16"),
    "ladder": ("capacity", "capacity-3x"),
}
# Blocks rendered otherwise: their name and the workloads they show
SPECIAL = {"phones": area_tables.PHONES, "diarization": area_tables.DIARIZATION, "files": area_tables.FILES,
           "link": area_tables.LINK}
BLOCK = re.compile(r"(<!-- generated: ([\w-]+) -->\n)(.*?)(<!-- end generated -->)", re.S)


def load(folder: Path) -> dict:
    """The records in ``folder`` by workload name; a run that gave no result is left out."""
    records = {}
    for path in sorted(folder.glob("*.json")):
        record = json.loads(path.read_text())
        if record.get("result"):
            records[record.get("workload", path.stem)] = record
    return records


def load_machines(root: Path) -> dict:
    """Each machine's records by its family: ``root``'s own files (the AVX-512 guest's), then each folder in
    it that holds records (its name: the family)."""
    machines = {}
    own = load(root)
    if own:
        machines[PRIMARY_FAMILY] = own
    for folder in sorted(p for p in root.iterdir() if p.is_dir()):
        records = load(folder)
        if records:
            machines.setdefault(folder.name, {}).update(records)
    return machines


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
        below += record_notes(record)
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
    speeds: dict = {}
    for record in records.values():
        m = record["machine"]
        key = (m.get("cpu", "?"), m.get("cpus"), m.get("memory_gb"), m.get("python"))
        platforms = machines.setdefault(key, [])
        if m.get("platform") not in platforms:
            platforms.append(m.get("platform"))
        for package, version in record["software"].items():
            if version not in versions.setdefault(package, []):
                versions[package].append(version)
        if machine_speed(record):
            speeds.setdefault(key, []).append(machine_speed(record))
    for key, platforms in machines.items():
        cpu, cpus, mem, py = key
        speed = f"; speed {min(speeds[key]):.1f} to {max(speeds[key]):.1f} (tiny.en int8 beam 5, one thread: " \
                f"audio s per s)" if key in speeds else ""
        lines.append(f"- **Machine**: {cpu}, {cpus} cores, {mem} GB; {' / '.join(map(str, platforms))}; "
                     f"Python {py}{speed}")
    lines.append("- **Software**: " + ", ".join(f"{k} {' / '.join(v)}" for k, v in sorted(versions.items())))
    return "\n".join(lines) + "\n"


def machine_line(family: str, records: dict) -> str:
    """The line above a machine's table: its CPU and family, its model speed in these runs, their dates."""
    machine = next(iter(records.values()))["machine"]
    speeds = sorted(s for s in map(machine_speed, records.values()) if s)
    speed = ("speed not measured" if not speeds else f"speed {speeds[0]:.1f}" if speeds[0] == speeds[-1]
             else f"speed {speeds[0]:.1f} to {speeds[-1]:.1f}")
    dates = sorted(r["started"][:10] for r in records.values())
    when = dates[0] + (f" to {dates[-1]}" if dates[-1] != dates[0] else "")
    return (f"*{machine.get('cpu', '?')}, {machine.get('cpus', '?')} cores ({FAMILIES.get(family, family)}), "
            f"{speed}; {when}:*")


def blocks() -> dict:
    """Each generated block's name and the workloads whose records it shows."""
    return {**TABLES, **SPECIAL}


def render_one(name: str, records: dict) -> str:
    """One machine's block (its records: that machine's)."""
    if name in SPECIAL:
        return area_tables.render(name, records)
    if name == "api":
        return table(name, records) + api_file(records)
    return table(name, records)


def render(name: str, machines: dict) -> str:
    """A block: each machine with records for it under its own line (setup: each machine's setup)."""
    if name == "targets":
        return targets.table(machines)
    parts = []
    for family, records in machines.items():
        if name == "setup":
            if records:
                parts.append(f"{machine_line(family, records)}\n\n{setup(records)}")
            continue
        shown = {w: records[w] for w in [*blocks()[name], *(("api-file",) if name == "api" else ())] if w in records}
        if shown:
            parts.append(f"{machine_line(family, shown)}\n\n{render_one(name, records)}")
    return "\n".join(parts) if parts else NOT_MEASURED + "\n"


def update(document: str, machines: dict) -> str:
    def replace(match: re.Match) -> str:
        name = match.group(2)
        if name not in blocks() and name not in ("setup", "targets"):
            raise SystemExit(f"unknown generated block {name!r}")
        return match.group(1) + render(name, machines) + match.group(4)
    return BLOCK.sub(replace, document)


def main(argv: Optional[list] = None) -> int:
    p = argparse.ArgumentParser(prog="python -m whisper_live.bench.tables",
                                description="Markdown tables from the workloads' JSON files.")
    p.add_argument("folder", help="the folder of <workload>.json files (benchmarks/results), with a folder of "
                                  "them per other machine")
    p.add_argument("--update", metavar="FILE", nargs="+",
                   help="rewrite the generated blocks of each FILE (BENCHMARKS.md benchmarks/AREAS.md "
                        "benchmarks/CONFIGURATIONS.md)")
    args = p.parse_args(argv)
    machines = load_machines(Path(args.folder))
    for family, records in machines.items():
        unknown = sorted(set(records) - set(BY_NAME))
        if unknown:
            print(f"ignored ({family}), not a workload: {', '.join(unknown)}", file=sys.stderr)
    if args.update:
        for path in map(Path, args.update):
            path.write_text(update(path.read_text(), machines))
        return 0
    for name in ("targets", "setup", *blocks()):
        print(f"### {name}\n\n{render(name, machines)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
