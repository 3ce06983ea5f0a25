"""``python -m whisper_live.bench.api_file``: one file alone through the API against faster-whisper's own
``transcribe`` (the same model, beam 5, the same CPU threads), for speed and WER.

The server (given by ``--api-url``, or started with ``--spawn-server``) must have no other clients. The
file is uploaded ``--repeat`` times through ``/v1/audio/transcriptions``; then, with the server idle,
faster-whisper transcribes the same file in this process ``--repeat`` times. Each side's best time
counts (the least disturbed by anything else on the machine). One JSON line on stdout:
``speed_vs_faster_whisper`` is faster-whisper's time over the API's (1.0: as fast), ``wer_minus_faster_whisper``
the difference of their WERs when a reference is given.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from typing import Optional

from whisper_live import wer as wer_mod
from whisper_live.bench import offline, report
from whisper_live.bench.uploads import transcribe_file


def parse_args(argv: Optional[list[str]]) -> argparse.Namespace:
    p = argparse.ArgumentParser(prog="python -m whisper_live.bench.api_file", description=__doc__.split("\n\n")[0])
    p.add_argument("--audio", required=True, help="the file to transcribe (any format PyAV reads)")
    p.add_argument("--reference", help="its reference transcript: the text, or a file holding it (default: "
                                       "from ../shared/audio's manifest, or NAME.txt beside the file)")
    p.add_argument("--api-url", default="http://127.0.0.1:8000/v1", help="the API's base URL")
    p.add_argument("--spawn-server", metavar="CMD",
                   help="start this server command first (it must pass --enable_rest and the API's port) "
                        "and stop it at the end")
    p.add_argument("--ws-port", type=int, default=9090, help="with --spawn-server: its WebSocket port, "
                                                            "to know when it is up (default 9090)")
    p.add_argument("--model", default="tiny.en", help="the server's model, for faster-whisper (default tiny.en)")
    p.add_argument("--threads", type=int, default=1,
                   help="faster-whisper's cpu_threads: the server's --omp_num_threads (default 1)")
    p.add_argument("--compute-type", default="int8", help="faster-whisper's compute type (the server's: int8)")
    p.add_argument("--beam-size", type=int, default=5)
    p.add_argument("--repeat", type=int, default=1, help="times each side transcribes the file (default 1)")
    return p.parse_args(argv)


def through_api(args, seconds: float) -> dict:
    times, text = [], ""
    for _ in range(args.repeat):
        began = time.monotonic()
        status, body = transcribe_file(args.api_url, args.audio)
        times.append(time.monotonic() - began)
        if status != 200:
            raise RuntimeError(f"the API answered {status}: {body}")
        text = body["text"]
    return {"seconds": round(min(times), 3), "all_seconds": [round(t, 3) for t in times],
            "rtf": round(min(times) / seconds, 4), "text": text}


def with_faster_whisper(args, seconds: float) -> dict:
    from faster_whisper import WhisperModel

    model = WhisperModel(offline.model_dir(args.model), compute_type=args.compute_type, cpu_threads=args.threads)
    times, text = [], ""
    for _ in range(args.repeat):
        began = time.monotonic()
        segments, _ = model.transcribe(args.audio, beam_size=args.beam_size)
        text = "".join(s.text for s in segments).strip()  # the generator decodes here
        times.append(time.monotonic() - began)
    return {"seconds": round(min(times), 3), "all_seconds": [round(t, 3) for t in times],
            "rtf": round(min(times) / seconds, 4), "text": text}


def main(argv: Optional[list[str]] = None) -> int:
    args = parse_args(argv)
    from whisper_live.bench.audio import load_speech

    reference = args.reference
    if reference and os.path.isfile(reference):
        with open(reference, encoding="utf-8") as f:
            reference = f.read().strip()
    speech = load_speech(args.audio, reference)  # (its reference from ../shared or NAME.txt when none is given)
    seconds, reference = speech.duration, speech.reference
    spawned = None
    try:
        if args.spawn_server:
            from urllib.parse import urlsplit

            from whisper_live.bench.server_process import SpawnedServer

            spawned = SpawnedServer(args.spawn_server, urlsplit(args.api_url).hostname, args.ws_port, 300)
            spawned.__enter__()
        api = through_api(args, seconds)
    finally:
        if spawned is not None:
            spawned.stop()
    local = with_faster_whisper(args, seconds)
    doc = {"bench": "whisper_live.bench.api_file", "date": report.utc_now(), "machine": report.machine(),
           "audio": args.audio, "audio_s": round(seconds, 2), "model": args.model, "threads": args.threads,
           "beam_size": args.beam_size, "api": api, "faster_whisper": local,
           "speed_vs_faster_whisper": round(local["seconds"] / api["seconds"], 3)}
    if reference:
        for side in (api, local):
            side["wer"] = round(wer_mod.wer(reference, side["text"]), 4)
        doc["wer_minus_faster_whisper"] = round(api["wer"] - local["wer"], 4)
    for side in (api, local):
        side.pop("text")
    print(f"API {api['seconds']} s, faster-whisper {local['seconds']} s for {seconds:.1f} s of audio: "
          f"{doc['speed_vs_faster_whisper']:.0%} of its speed"
          + (f"; WER {api['wer']} against {local['wer']}" if reference else ""), file=sys.stderr)
    print(json.dumps(doc), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
