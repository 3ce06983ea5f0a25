"""The bench's room options (``--readers``, ``--stalled-readers``, ``--room``): their arguments, the room and
readers of one run, and the figures they add (:mod:`whisper_live.bench.room_figures`)."""

from __future__ import annotations

import argparse
import os
from typing import Callable, Optional

from whisper_live.bench import readers, room_figures
from whisper_live.rooms.options import ROOM_NAME


def add_arguments(p: argparse.ArgumentParser) -> None:
    g = p.add_argument_group("rooms (server with --enable_rest; see docs/rooms.md)")
    g.add_argument("--readers", type=int, default=0,
                   help="the speakers publish into one room and this many readers follow it, SSE and WebSocket "
                        "in turn; reports whether every reader got every completed segment and its delay after "
                        "the speaker's own client (p50/p99); the speakers stream once the readers are in")
    g.add_argument("--stalled-readers", type=int, default=0, metavar="K",
                   help="K more readers that never read (a small SO_RCVBUF, so that they fill up fast); reports "
                        "whether the server dropped them")
    g.add_argument("--readers-timeout", type=float, default=120.0,
                   help="seconds for every reader to connect (default 120)")
    g.add_argument("--room", metavar="NAME",
                   help="the speakers publish into room NAME (each named after its client: s0, s1, ...; with "
                        "--ramp, NAME-N for N speakers), with or without readers; at the end the room's "
                        "transcript is fetched from the API and checked: every completed segment of each "
                        "speaker, in time order, with its name (a meeting: --clients 4 --room NAME)")


def check_arguments(p: argparse.ArgumentParser, args: argparse.Namespace) -> None:
    if args.readers < 0 or args.stalled_readers < 0:
        p.error("reader counts must be >= 0")
    if args.room is not None and not ROOM_NAME.match(args.room):
        p.error("--room: 1 to 64 letters, digits, '-', '_' or '.', starting with a letter or digit")
    if (args.readers or args.stalled_readers or args.room) and max(args.steps) == 0:
        p.error("a room is the speakers': give at least one speaking client")


def api_url(args: argparse.Namespace) -> str:
    return (args.api_url or f"http://{args.host}:8000/v1").rstrip("/")


def start(args: argparse.Namespace, settings, speakers: int) -> tuple[Optional[readers.ReaderRun], object]:
    """Name the run's room in ``settings`` (a plan.RunSettings) and start its readers connecting: (the
    readers or None, the gate the speakers wait for or None)."""
    if args.room:
        settings.room = args.room if len(args.steps) == 1 else f"{args.room}-{speakers}"
    if not (args.readers or args.stalled_readers):
        return None, None
    settings.room = settings.room or f"bench-{os.getpid()}-{speakers}"
    settings.gate_timeout = args.readers_timeout + 30
    api = api_url(args)
    run = readers.ReaderRun(f"{api}/rooms/{settings.room}/events", f"ws{api[4:]}/rooms/{settings.room}/watch",
                            args.readers, args.stalled_readers, args.readers_timeout)
    return run, run.connect_in_background()


def figures(args: argparse.Namespace, settings, speaker_logs: list, run: Optional[readers.ReaderRun],
            say: Callable[[str], None]) -> dict:
    """The run's room figures: ``room`` (the readers) and ``room_transcript`` (with ``--room``)."""
    out = {}
    if run is not None:
        out["room"] = room_figures.reader_figures(speaker_logs, run.finish(), args.per_client)
        say(room_figures.summary_line(out["room"]))
    if args.room:
        lines = room_figures.fetch_transcript(api_url(args), settings.room)
        out["room_transcript"] = room_figures.transcript_figures(speaker_logs, lines)
        say(room_figures.transcript_line(out["room_transcript"]))
    return out
