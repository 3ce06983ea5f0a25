"""``python -m whisper_live.bench.direct``: what the streaming policy itself costs in accuracy.

The load bench (``python -m whisper_live.bench``) measures the server under load, where the windows a
client gets depend on how busy the model is. This drives the streaming core (``StreamingSession``, the
server's session settings, Silero VAD) with the real model and no server: the audio is fed in the bench
clients' 256 ms frames, and every window is transcribed as soon as it is due, as if the model were always
free. The result is the same on every run (the fallback's sampling is seeded), so a change of the policy
can be judged on its own, without the run-to-run spread of a loaded server.

For each audio it prints the streaming WER, the offline WER of the same model (faster-whisper's
``transcribe`` with its default settings, as the load bench computes it), how many windows of each kind
were transcribed and the model time they took. The JSON line goes to stdout, the table to stderr.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import sys
import time
from typing import Optional

from whisper_live import wer as wer_mod
from whisper_live.bench import audio, report

FRAME_SAMPLES = 4096  # what the load bench's clients send at a time (256 ms)


def parse_args(argv: Optional[list[str]] = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(
        prog="python -m whisper_live.bench.direct",
        description="Streaming WER without a server: the streaming core driven with the real model, each window "
                    "transcribed as soon as it is due; with the offline WER of the same audio for comparison.")
    p.add_argument("--audio", action="append", default=None,
                   help="speech file or ../shared/audio folder (e.g. en/librispeech); repeat for several "
                        "(default: the LJ passage from ../shared/audio, else an espeak-ng or pytest-audioeval clip)")
    p.add_argument("--mixed", action="store_true",
                   help="the load bench's four sets of ../shared/audio: the LJ passage, Hi-Fi TTS, LibriSpeech "
                        "and CMU ARCTIC")
    p.add_argument("--duration", type=float, default=None,
                   help="only the first S seconds of each audio (cut at a whole utterance where they are known)")
    p.add_argument("--model", default="tiny.en",
                   help="model name or CTranslate2 directory, as for the server (default tiny.en)")
    p.add_argument("--final_context", type=float, default=None,
                   help="seconds of committed speech replayed before final windows (default: the server's, 8)")
    p.add_argument("--cpu_threads", type=int, default=1,
                   help="threads of the one inference worker (default 1, as each of the server's workers)")
    p.add_argument("--no-offline", dest="offline", action="store_false",
                   help="skip the offline transcription")
    p.add_argument("--show-text", action="store_true", help="also print each streaming transcript")
    # what the load bench's audio loader also reads: no explicit reference, one loop
    p.set_defaults(reference=None, loops=1)
    args = p.parse_args(argv)
    if args.mixed and args.audio:
        p.error("--mixed and --audio exclude each other")
    if args.cpu_threads < 1:
        p.error("--cpu_threads must be at least 1")
    if args.final_context is not None and args.final_context < 0:
        p.error("--final_context must be 0 or more")
    return args


def stream(session, transcribe, audio) -> dict:
    """Feed ``audio`` to ``session`` frame by frame, transcribing each window as soon as it is due.

    ``transcribe`` takes one window's request and returns the model's result. Returns the transcript of the
    completed segments, and per window kind the number of windows and the seconds ``transcribe`` took.
    """
    windows: dict = {}
    texts: list[str] = []  # every committed segment (the session itself keeps only the latest 1000)

    def serve() -> None:
        while True:
            window = session.take_window()
            if window is None:
                return
            started = time.perf_counter()
            result = transcribe(window.request)
            figures = windows.setdefault(window.kind, {"windows": 0, "model_s": 0.0})
            figures["windows"] += 1
            figures["model_s"] += time.perf_counter() - started
            texts.extend(s.text.strip() for s in session.apply(window, result).completed if s.text.strip())

    for i in range(0, len(audio), FRAME_SAMPLES):
        session.add_audio(audio[i:i + FRAME_SAMPLES])
        serve()
    session.end_of_audio()
    serve()
    for figures in windows.values():
        figures["model_s"] = round(figures["model_s"], 2)
    return {"text": " ".join(texts), "windows": windows}


def load_speeches(args: argparse.Namespace) -> list:
    """What the load bench would stream for the same --audio / --mixed / --duration; each needs a reference."""
    speeches = audio.load_speeches(args)
    for speech in speeches:
        if not speech.reference:
            raise ValueError(f"{speech.source}: no reference transcript (give a file with NAME.txt beside it, "
                             f"or one from ../shared/audio)")
    return speeches


def main(argv: Optional[list[str]] = None) -> int:
    args = parse_args(argv)
    speeches = audio.read_speeches(args, load_speeches)
    if speeches is None:
        return 2
    from whisper_live.bench.offline import offline_wers
    from whisper_live.models import ModelNotFound, resolve_model
    from whisper_live.streaming import SessionConfig, StreamingSession
    from whisper_live.transcriber import load_transcriber
    from whisper_live.vad import SileroVad

    try:
        model_dir = resolve_model(args.model)
    except ModelNotFound as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    vad = SileroVad()
    config = SessionConfig()
    if args.final_context is not None:
        config.final_context = args.final_context
    rows = []
    for speech in speeches:
        # A fresh model for each audio: the fallback's sampler is seeded when the model loads, so each
        # audio's transcript is the same whichever audio went before it.
        transcriber = load_transcriber("faster_whisper", model_dir, model_name=args.model,
                                       cpu_threads=args.cpu_threads)
        if not transcriber.multilingual:
            config.language = "en"
        session = StreamingSession(dataclasses.replace(config), vad.new_stream())
        streamed = stream(session, lambda request: transcriber.transcribe_batch([request])[0], speech.audio)
        transcriber.close()
        rows.append({"audio": speech.source, "seconds": round(speech.duration, 1),
                     "words": len(wer_mod.normalize(speech.reference).split()),
                     "wer": round(wer_mod.wer(speech.reference, streamed["text"]), 4),
                     "windows": streamed["windows"], "text": streamed["text"]})
    offline = offline_wers(speeches, model_dir, "int8") if args.offline else None
    if offline is not None:
        for row, entry in zip(rows, offline["per_audio"]):
            row["offline_wer"] = entry["wer"]
            row["relative_to_offline"] = report.relative_to_offline(row["wer"], entry["wer"])
    overall = round(wer_mod.corpus_wer([s.reference for s in speeches], [r["text"] for r in rows]), 4)
    print_table(rows, overall, offline, args)
    print(json.dumps({"bench": "whisper_live.bench.direct", "date": report.utc_now(), "machine": report.machine(),
                      "config": {"model": args.model, "final_context": config.final_context,
                                 "cpu_threads": args.cpu_threads, "duration": args.duration},
                      "wer": overall, "offline_wer": offline["wer"] if offline else None,
                      "per_audio": [{k: v for k, v in r.items() if k != "text" or args.show_text} for r in rows]}))
    return 0


def print_table(rows: list, overall: float, offline: Optional[dict], args: argparse.Namespace) -> None:
    out = sys.stderr
    print(f"model {args.model}, streaming core driven directly (each window transcribed when due)", file=out)
    print("| audio | seconds | words | WER | offline WER | against offline | windows (partial / final) "
          "| model time (partial / final) |", file=out)
    print("| --- | --- | --- | --- | --- | --- | --- | --- |", file=out)
    for r in rows:
        partial, final = (r["windows"].get(k, {"windows": 0, "model_s": 0.0}) for k in ("partial", "final"))
        relative = r.get("relative_to_offline")
        if "offline_wer" in r:
            against = f"{r['offline_wer']:.3f} | " + ("-" if relative is None else f"{relative:+.0%}")
        else:
            against = "- | -"
        print(f"| {r['audio']} | {r['seconds']:.1f} | {r['words']} | {r['wer']:.3f} | {against} | "
              f"{partial['windows']} / {final['windows']} | {partial['model_s']:.1f} / {final['model_s']:.1f} s |",
              file=out)
    if len(rows) > 1:
        line = f"all: WER {overall:.3f}"
        if offline is not None:
            line += f", offline {offline['wer']:.3f}"
        print(line, file=out)
    if args.show_text:
        for r in rows:
            print(f"\n{r['audio']}:\n{r['text']}", file=out)


if __name__ == "__main__":
    sys.exit(main())
