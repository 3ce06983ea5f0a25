"""``python -m whisper_live.bench.batching``: what batching several clients' windows into one call pays.

The scheduler may put windows of several clients into one model call (``--max_batch_size``). This cuts
speech into windows of ``--window`` seconds (a partial window is typically 1-6 s, a final with replayed
context 5-15 s), transcribes them through the server's backend code (encoder input sized to the audio,
greedy decoding or, with ``--beam_size``, beam search as for final windows; one worker of ``--cpu_threads``
threads) in batches of each size, and prints the model time per window and the
speed-up against one window per call. The JSON line goes to stdout, the table to stderr.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from typing import Optional

from whisper_live.bench import audio as audio_mod
from whisper_live.bench import report
from whisper_live.protocol import SAMPLE_RATE


def _sizes(text: str) -> list[int]:
    try:
        sizes = [int(s) for s in text.split(",") if s.strip()]
    except ValueError:
        sizes = []
    if not sizes or min(sizes) < 1:
        raise argparse.ArgumentTypeError(f"expected positive whole numbers separated by commas, got {text!r}")
    return sizes


# Every option takes one value: (flag, type, default, help).
OPTIONS = (
    ("--model", str, "tiny.en",
     "model name or CTranslate2 directory, as for the server's --model (default tiny.en)"),
    ("--audio", str, None,
     "speech file or ../shared/audio folder (default: the LJ passage from ../shared/audio, "
     "else an espeak-ng or pytest-audioeval clip)"),
    ("--window", float, 3.0, "seconds of audio per window (default 3)"),
    ("--windows", int, 16, "windows transcribed per batch size and round (default 16)"),
    ("--sizes", _sizes, "1,2,4,8",
     "batch sizes to measure, comma-separated; speed-ups are against the first (default 1,2,4,8)"),
    ("--rounds", int, 3, "rounds per batch size; the median is reported (default 3)"),
    ("--beam_size", int, 1,
     "decode with this beam width: 1 (default) as partial windows are, 5 as final windows are"),
    ("--cpu_threads", int, 1, "threads of the one inference worker (default 1, as each of the server's workers)"),
)


def parse_args(argv: Optional[list[str]] = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(
        prog="python -m whisper_live.bench.batching",
        description="What batching several clients' windows into one model call pays: model time per window "
                    "for each batch size, through the server's faster_whisper backend code.")
    for flag, kind, default, text in OPTIONS:
        p.add_argument(flag, type=kind, default=default, help=text)
    args = p.parse_args(argv)
    if args.window <= 0 or min(args.windows, args.rounds, args.cpu_threads, args.beam_size) < 1:
        p.error("--window must be above 0, and --windows, --rounds, --cpu_threads and --beam_size at least 1")
    return args


def windows_of(audio, seconds: float, count: int) -> list:
    """``count`` consecutive windows of ``seconds`` each, from the start of ``audio`` (wrapping around)."""
    size = int(seconds * SAMPLE_RATE)
    if len(audio) < size:
        raise ValueError(f"the audio is shorter than one window of {seconds} s")
    starts = range(0, len(audio) - size + 1, size)
    return [audio[s:s + size] for s in list(starts) * (count // len(starts) + 1)][:count]


def measure(transcriber, requests: list, size: int, rounds: int) -> float:
    """Median seconds per window over ``rounds``, the windows sent in batches of ``size``."""
    transcriber.transcribe_batch(requests[:size])  # warm-up
    per_window = []
    for _ in range(rounds):
        started = time.perf_counter()
        for i in range(0, len(requests), size):
            transcriber.transcribe_batch(requests[i:i + size])
        per_window.append((time.perf_counter() - started) / len(requests))
    return statistics.median(per_window)


def main(argv: Optional[list[str]] = None) -> int:
    args = parse_args(argv)
    from whisper_live.models import resolve_model
    from whisper_live.transcriber import load_transcriber
    from whisper_live.transcriber.base import Request

    try:
        speech = audio_mod.load_speech(args.audio) if args.audio else audio_mod.default_speech()
        windows = windows_of(speech.audio, args.window, args.windows)
    except (OSError, RuntimeError, ValueError) as exc:
        print(f"error: cannot read the audio: {exc}", file=sys.stderr)
        return 2
    transcriber = load_transcriber("faster_whisper", resolve_model(args.model), cpu_threads=args.cpu_threads,
                                   max_batch_size=max(args.sizes))
    # English speech: the language is given, so no window pays for detecting it
    requests = [Request(audio=w, language="en", beam_size=args.beam_size) for w in windows]
    rows = []
    for size in args.sizes:
        seconds = measure(transcriber, requests, size, args.rounds)
        rows.append({"batch_size": size, "seconds_per_window": round(seconds, 4)})
    first = rows[0]["seconds_per_window"]
    for row in rows:
        row["speedup"] = round(first / row["seconds_per_window"], 2)
    print(f"{speech.source}: {args.windows} windows of {args.window:g} s, model {args.model}, "
          f"beam {args.beam_size}, {args.cpu_threads} thread(s)", file=sys.stderr)
    print(f"| batch size | model time per window | speed-up against {args.sizes[0]} |", file=sys.stderr)
    print("| --- | --- | --- |", file=sys.stderr)
    for row in rows:
        print(f"| {row['batch_size']} | {row['seconds_per_window']:.3f} s | {row['speedup']:.2f}x |", file=sys.stderr)
    print(json.dumps({"bench": "whisper_live.bench.batching",
                      "date": report.utc_now(), "machine": report.machine(),
                      "config": {"model": args.model, "audio": speech.source, "window_s": args.window,
                                 "windows": args.windows, "rounds": args.rounds, "beam_size": args.beam_size,
                                 "cpu_threads": args.cpu_threads},
                      "rows": rows}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
