"""``python -m whisper_live.bench``: N clients stream speech at real time to a WhisperLive-protocol server.

The JSON line goes to stdout, the table and progress to stderr; see docs/benchmark.md.
"""

from __future__ import annotations

import argparse
import sys
import time
from typing import Optional

from whisper_live.bench import audio as audio_mod
from whisper_live.bench import machine_speed, report, server_process
from whisper_live.bench import offline as offline_mod
from whisper_live.bench.command_line import config_of, parse_args
from whisper_live.bench.report import say, write_text
from whisper_live.bench.run_step import run_step
from whisper_live.cli_exit import error_exit, interrupted_exit


def _machine_speed(args: argparse.Namespace) -> dict:
    """The machine's speed, measured now (before any server runs), or why not."""
    if not args.machine_speed:
        return {"skipped": "--no-machine-speed"}
    say(args, "measuring the machine's speed (tiny.en int8 beam 5, one thread) ...")
    try:
        return machine_speed.measure()
    except Exception as exc:  # model or audio missing: the rest of the report stands
        return {"skipped": f"{type(exc).__name__}: {exc}"}


def main(argv: Optional[list[str]] = None) -> int:
    args = parse_args(argv)
    speeches = audio_mod.read_speeches(args)
    if speeches is None:
        return 2
    speeches = audio_mod.with_starts(speeches, args.starts)
    date = report.utc_now()
    speed = _machine_speed(args)

    runs: list[dict] = []
    spawned: Optional[server_process.SpawnedServer] = None
    try:
        watch = None
        if args.spawn_server:
            say(args, f"starting the server: {args.spawn_server}")
            spawned = server_process.SpawnedServer(args.spawn_server, args.host, args.port, args.spawn_timeout)
            spawned.__enter__()
            watch = server_process.ServerWatch(spawned.pid)
        elif args.server_pid:
            watch = server_process.ServerWatch(args.server_pid)
        taken = 0  # with --rotate-audio: the audio the runs so far took, in turn
        for i, speakers in enumerate(args.steps):
            if i:
                time.sleep(args.pause)
            shift = taken % len(speeches) if args.rotate_audio else 0
            figures = run_step(args, speeches[shift:] + speeches[:shift], speakers, watch)
            taken += speakers
            runs.append(figures)
            if args.ramp and not figures["meets_target"] and not args.ramp_all:
                say(args, "  target missed: ramp stops here (--ramp-all to go on)")
                break
    except RuntimeError as exc:
        return error_exit(exc, 2)
    except KeyboardInterrupt:
        return interrupted_exit()
    finally:
        if spawned is not None:
            spawned.stop()

    offline = offline_mod.beside_runs(args, speeches, runs)
    if args.transcripts:
        texts = [entry["text"] for entry in offline.get("per_audio", [])]
        for k, speech in enumerate(speeches, 1):
            if speech.reference is not None:
                write_text(args.transcripts, f"reference-{k}.txt", speech.reference)
            if texts:
                write_text(args.transcripts, f"offline-{k}.txt", texts[k - 1])
    for entry in offline.get("per_audio", []) + offline.get("greedy", {}).get("per_audio", []):
        entry.pop("text")  # the transcripts stay out of the JSON line

    doc = {
        "bench": "whisper_live.bench",
        "date": date,
        "machine": {**report.machine(), "speed": speed},
        "config": config_of(args, speeches),
        "offline": offline,
        "runs": runs,
    }
    if args.ramp:
        met = [run["clients"] for run in runs if run["meets_target"]]
        doc["max_clients_meeting_target"] = max(met) if met else 0
    line = report.to_json(doc)
    report.append_line(args.json_out, line)
    if not args.quiet:
        print(report.table(doc, per_client=args.per_client), file=sys.stderr, flush=True)
    print(line, flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
