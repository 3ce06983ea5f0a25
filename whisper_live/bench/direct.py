"""``python -m whisper_live.bench.direct``: what the streaming policy itself costs in accuracy.

The load bench (``python -m whisper_live.bench``) measures the server under load, where the windows a
client gets depend on how busy the model is. This drives the streaming core (``Stream``, the
server's stream settings, Silero VAD) with the real model and no server: the audio is fed in the bench
clients' 256 ms frames, and every window is transcribed as soon as it is due, as if the model were always
free: the stream's clock is stream time (the audio fed so far), so the model's time, which grows with the
machine's load, counts for nothing (the age of agreed text that ``refine_agreed_within`` limits is its
audio's alone). The result is the same on every run on any load (the fallback's sampling is seeded), so a
change of the policy can be judged on its own, without the run-to-run spread of a loaded server. It still
moves by a few words with where the audio starts (every VAD frame, pause and window moves with it), so
``--starts N`` streams each audio N times, each start a little later, and reports the mean: a change is
worth keeping when it wins on the mean, not on one start.

For each audio it prints the streaming WER, the offline WER of the same model (faster-whisper's
``transcribe`` with its default settings, as the load bench computes it), how many windows of each kind
were transcribed and the model time they took, and the commit lag: for each completed segment, how much
audio had been fed when it was committed, counted from the segment's end. That is the final latency the
policy itself causes (the wait for a pause, for an agreement, for a long utterance to end), without the
model's time or any queue; the server adds those. The JSON line goes to stdout, the table to stderr.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import sys
import time
from typing import Optional

from whisper_live import wer as wer_mod
from whisper_live.bench import audio, metrics, report
from whisper_live.bench.command_line import MAX_FRAME_SAMPLES
from whisper_live.protocol import SAMPLE_RATE
from whisper_live.streaming.config import StreamConfig, default_finals
from whisper_live.transcriber import encoder_input

BACKEND = "faster_whisper"  # what the bench drives the streaming core with (and the server's defaults for it)
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
                   help="seconds of committed speech replayed before final windows (default: the server's, 20 "
                        "with beam search, 8 with greedy finals)")
    p.add_argument("--final_beam_size", type=int, default=None,
                   help="above 1, final windows decoded as offline Whisper decodes, with this beam width "
                        "(default: the server's with faster_whisper, 5; 1: greedy finals)")
    p.add_argument("--refine_agreed_within", type=float, default=StreamConfig.refine_agreed_within,
                   help="with beam-searched finals, agreed text whose audio is at most this old (s) is decoded "
                        "again as a final; the model is always free here, so nearly all of it is (default: the "
                        "server's, %.1f; 0: never)" % StreamConfig.refine_agreed_within)
    schedule = StreamConfig.endpoint_schedule
    p.add_argument("--endpoint_schedule", type=_schedule, default=schedule, metavar="S:F,...",
                   help="the pause that ends an utterance, as the stream's adaptive endpointing takes it: "
                        "pairs of (utterance shorter than S seconds, F times the VAD's 500 ms), e.g. "
                        "2:1,6:0.6,inf:0.3 (default: the server's while the model has room, as it always has "
                        "here: %s)" % _schedule_text(schedule))
    p.add_argument("--greedy_input", "--greedy_window", dest="greedy_window", type=_window_rule, default=encoder_input.SIZED.greedy, metavar="MIN+MARGIN",
                   help="encoder input of greedy windows (partials, greedy finals): the audio plus MARGIN s, at "
                        "least MIN s, or 'full' for Whisper's 30 s (default: the server's, %s)"
                        % encoder_input.SIZED.greedy.describe())
    p.add_argument("--beam_input", "--beam_window", dest="beam_window", type=_window_rule, default=encoder_input.SIZED.beam, metavar="MIN+MARGIN",
                   help="encoder input of beam-searched finals, as --greedy_input (default: the server's, %s)"
                        % encoder_input.SIZED.beam.describe())
    p.add_argument("--continued_input", "--continued_window", dest="continued_window", type=_window_rule, default=encoder_input.SIZED.continued,
                   metavar="MIN+MARGIN",
                   help="encoder input of beam-searched finals that go on from their replayed context, as "
                        "--greedy_input (default: the server's, %s)" % encoder_input.SIZED.continued.describe())
    p.add_argument("--frame-samples", type=int, default=FRAME_SAMPLES,
                   help="samples fed to the stream at a time (default %d, as the load bench's clients send; 960: "
                        "one 60 ms Opus packet at a time)" % FRAME_SAMPLES)
    p.add_argument("--codec", choices=("opus", "mulaw", "alaw"), default=None,
                   help="stream (and transcribe offline) the audio as the server hears it from a client sending "
                        "this codec: encoded by the client's encoder, decoded by the server's")
    p.add_argument("--bitrate", type=int, default=24, metavar="KBPS",
                   help="with --codec opus: kbit/s (default 24)")
    p.add_argument("--cpu_threads", type=int, default=1,
                   help="threads of the one inference worker (default 1, as each of the server's workers)")
    p.add_argument("--starts", type=int, default=1,
                   help="stream (and transcribe offline) each audio this many times, each start %.3f s later "
                        "than the one before (silence put before the audio), and report the mean WER with its "
                        "range: one start's WER moves by a few words with any change of where the windows "
                        "fall (default 1)" % audio.START_STEP)
    p.add_argument("--no-offline", dest="offline", action="store_false",
                   help="skip the offline transcription")
    p.add_argument("--show-text", action="store_true",
                   help="also print the streaming transcript (the JSON line then holds every start's, and the "
                        "offline ones)")
    # what the load bench's audio loader also reads: no explicit reference, one loop
    p.set_defaults(reference=None, loops=1)
    args = p.parse_args(argv)
    if args.mixed and args.audio:
        p.error("--mixed and --audio exclude each other")
    if args.starts < 1:
        p.error("--starts must be at least 1")
    if args.cpu_threads < 1:
        p.error("--cpu_threads must be at least 1")
    if not 1 <= args.frame_samples <= MAX_FRAME_SAMPLES:
        p.error(f"--frame-samples must be between 1 and {MAX_FRAME_SAMPLES}")
    if args.final_context is not None and args.final_context < 0:
        p.error("--final_context must be 0 or more")
    if args.final_beam_size is not None and args.final_beam_size < 1:
        p.error("--final_beam_size must be at least 1")
    if args.refine_agreed_within < 0:
        p.error("--refine_agreed_within must be 0 or more")
    return args


def _window_rule(text: str):
    try:
        return encoder_input.parse(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc))


def _schedule(text: str) -> tuple:
    """``1.5:1,6:0.6,inf:0.3`` as the stream's endpoint schedule; argparse's type."""
    try:
        pairs = tuple((float(a), float(b)) for a, b in (item.split(":") for item in text.split(",")))
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r}: give LENGTH:FRACTION pairs, e.g. 1.5:1,6:0.6,inf:0.3")
    lengths = [length for length, _ in pairs]
    if lengths != sorted(set(lengths)) or any(fraction <= 0 for _, fraction in pairs):
        raise argparse.ArgumentTypeError(f"{text!r}: lengths must rise and fractions be above 0")
    return pairs


def _schedule_text(schedule: tuple) -> str:
    return ",".join(f"{a:g}:{b:g}" for a, b in schedule)


def feed(stream, transcribe, audio, frame_samples: int = FRAME_SAMPLES) -> dict:
    """Feed ``audio`` to ``stream`` ``frame_samples`` at a time, transcribing each window as soon as it is due.

    ``transcribe`` takes one window's request and returns the model's result. Returns the transcript of the
    completed segments, per window kind the number of windows and the seconds ``transcribe`` took, and each
    completed segment's commit lag (seconds of audio fed after its end when it was committed).
    """
    windows: dict = {}
    texts: list[str] = []  # every committed segment (the stream itself keeps only the latest 1000)
    lags: list[float] = []

    def serve() -> None:
        while True:
            window = stream.take_window()
            if window is None:
                return
            started = time.perf_counter()
            result = transcribe(window.request)
            figures = windows.setdefault(window.kind, {"windows": 0, "model_s": 0.0})
            figures["windows"] += 1
            figures["model_s"] += time.perf_counter() - started
            for segment in stream.apply(window, result).completed:
                text = segment.text.strip()
                if text:
                    texts.append(text)
                    lags.append(round(stream.received / SAMPLE_RATE - segment.end, 3))

    for i in range(0, len(audio), frame_samples):
        stream.add_audio(audio[i:i + frame_samples])
        serve()
    stream.end_of_audio()
    serve()
    for figures in windows.values():
        figures["model_s"] = round(figures["model_s"], 2)
    return {"text": " ".join(texts), "windows": windows, "lags": lags}


def load_speeches(args: argparse.Namespace) -> list:
    """What the load bench would stream for the same --audio / --mixed / --duration; each needs a reference."""
    speeches = audio.load_speeches(args)
    for speech in speeches:
        if not speech.reference:
            raise ValueError(f"{speech.source}: no reference transcript (give a file with NAME.txt beside it, "
                             f"or one from ../shared/audio)")
    if args.codec:
        from whisper_live.bench.offline import through_codec

        speeches = [dataclasses.replace(s, audio=through_codec(s.audio, args.codec, args.bitrate)) for s in speeches]
    return speeches


def main(argv: Optional[list[str]] = None) -> int:
    args = parse_args(argv)
    speeches = audio.read_speeches(args, load_speeches)
    if speeches is None:
        return 2
    from whisper_live.bench.offline import offline_wers
    from whisper_live.models import ModelNotFound, resolve_model
    from whisper_live.vad import SileroVad

    try:
        model_dir = resolve_model(args.model)
    except ModelNotFound as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    vad = SileroVad()
    from whisper_live.transcriber import continues_mid_window

    beam_size, context = default_finals(continues_mid_window(BACKEND), args.final_beam_size, args.final_context)
    config = StreamConfig(final_beam_size=beam_size, final_context=context,
                           refine_agreed_within=args.refine_agreed_within, endpoint_schedule=args.endpoint_schedule)
    offsets = audio.start_leads(args.starts)
    runs = []  # per start: each audio's row, and the offline transcription of the same audio
    for offset in offsets:
        shifted = [audio.late(speech, offset) for speech in speeches]
        rows = [stream_speech(speech, model_dir, args, config, vad) for speech in shifted]
        runs.append({"offset": offset, "rows": rows,
                     "wer": wer_mod.corpus_wer([s.reference for s in speeches], [r["text"] for r in rows]),
                     "offline": offline_wers(shifted, model_dir, "int8") if args.offline else None})
    rows = combine(runs, speeches)
    overall = _mean([run["wer"] for run in runs])
    offline = _mean([run["offline"]["wer"] for run in runs]) if args.offline else None
    summary = {"wer": overall, "offline_wer": offline}
    if len(runs) > 1:
        summary["wer_runs"] = [round(run["wer"], 4) for run in runs]
        if args.offline:
            summary["offline_wer_runs"] = [run["offline"]["wer"] for run in runs]
    print_table(rows, summary, args)
    print(json.dumps({"bench": "whisper_live.bench.direct", "date": report.utc_now(), "machine": report.machine(),
                      "config": {"model": args.model, "final_context": config.final_context,
                                 "final_beam_size": config.final_beam_size,
                                 "refine_agreed_within": config.refine_agreed_within,
                                 "endpoint_schedule": _schedule_text(config.endpoint_schedule),
                                 "greedy_window": args.greedy_window.describe(),
                                 "beam_window": args.beam_window.describe(),
                                 "continued_window": args.continued_window.describe(),
                                 "cpu_threads": args.cpu_threads, "duration": args.duration, "starts": offsets,
                                 "frame_samples": args.frame_samples, "codec": args.codec,
                                 "bitrate_kbps": args.bitrate if args.codec == "opus" else None},
                      **summary,
                      "per_audio": [{k: v for k, v in r.items()
                                     if not k.startswith(("text", "offline_text")) or args.show_text}
                                    for r in rows]}))
    return 0


def stream_speech(speech, model_dir: str, args: argparse.Namespace, config, vad) -> dict:
    """One audio streamed through a fresh model: its WER, transcript and windows."""
    from whisper_live.transcriber import load_transcriber

    # A fresh model for each audio: the fallback's sampler is seeded when the model loads, so each audio's
    # transcript is the same whichever audio went before it.
    windows = encoder_input.EncoderInputs(args.greedy_window, args.beam_window, args.continued_window)
    transcriber = load_transcriber(BACKEND, model_dir, model_name=args.model, cpu_threads=args.cpu_threads,
                                   encoder_inputs=windows)
    language = config.language if transcriber.multilingual else "en"
    stream = new_stream(dataclasses.replace(config, language=language), vad.new_stream())
    try:
        streamed = feed(stream, lambda request: transcriber.transcribe_batch([request])[0], speech.audio,
                        args.frame_samples)
    finally:
        transcriber.close()
    return {"audio": speech.source, "seconds": round(speech.duration, 1),
            "words": len(wer_mod.normalize(speech.reference).split()),
            "wer": wer_mod.wer(speech.reference, streamed["text"]), "windows": streamed["windows"],
            "text": streamed["text"], "lags": streamed["lags"]}


def new_stream(config, vad):
    """A Stream whose clock is stream time: seconds of audio fed so far."""
    from whisper_live.streaming import Stream

    stream = Stream(config, vad, clock=lambda: stream.received / SAMPLE_RATE)
    return stream


def combine(runs: list[dict], speeches: list) -> list[dict]:
    """One row per audio over every start: mean WER (and each start's), windows and model time per start,
    and the commit lag over the segments of every start.

    The transcript is the first start's. With one start the row is that start's.
    """
    rows = []
    for i, speech in enumerate(speeches):
        mine = [run["rows"][i] for run in runs]
        row = {"audio": speech.source, "seconds": round(speech.duration, 1), "words": mine[0]["words"],
               "wer": _mean([r["wer"] for r in mine])}
        if len(runs) > 1:
            row["wer_runs"] = [round(r["wer"], 4) for r in mine]
        windows: dict = {}
        for r in mine:
            for kind, figures in r["windows"].items():
                total = windows.setdefault(kind, {"windows": 0, "model_s": 0.0})
                total["windows"] += figures["windows"] / len(mine)
                total["model_s"] += figures["model_s"] / len(mine)
        row["windows"] = {kind: {"windows": round(f["windows"], 1) if len(mine) > 1 else int(f["windows"]),
                                 "model_s": round(f["model_s"], 2)} for kind, f in windows.items()}
        lag = metrics.summary([lag for r in mine for lag in r.get("lags", [])])
        row["commit_lag"] = {k: lag[k] for k in ("p50", "p90", "max")}
        row["text"] = mine[0]["text"]
        if len(runs) > 1:
            row["text_runs"] = [r["text"] for r in mine]
        if runs[0]["offline"] is not None:
            offline = [run["offline"]["per_audio"][i]["wer"] for run in runs]
            row["offline_wer"] = _mean(offline)
            if len(runs) > 1:
                row["offline_wer_runs"] = offline
                row["offline_text_runs"] = [run["offline"]["per_audio"][i].get("text") for run in runs]
            row["relative_to_offline"] = report.relative_to_offline(row["wer"], row["offline_wer"])
        rows.append(row)
    return rows


def _mean(values: list[float]) -> float:
    return round(sum(values) / len(values), 4)


def print_table(rows: list, summary: dict, args: argparse.Namespace) -> None:
    out = sys.stderr
    starts = f", mean of {args.starts} starts (range in brackets)" if args.starts > 1 else ""
    print(f"model {args.model}, streaming core driven directly (each window transcribed when due){starts}", file=out)
    print("| audio | seconds | words | WER | offline WER | against offline | windows (partial / final) "
          "| model time (partial / final) | commit lag p90 / max |", file=out)
    print("| --- | --- | --- | --- | --- | --- | --- | --- | --- |", file=out)
    for r in rows:
        partial, final = (r["windows"].get(k, {"windows": 0, "model_s": 0.0}) for k in ("partial", "final"))
        relative = r.get("relative_to_offline")
        if "offline_wer" in r:
            against = (_figure(r["offline_wer"], r.get("offline_wer_runs")) + " | "
                       + ("-" if relative is None else f"{relative:+.0%}"))
        else:
            against = "- | -"
        print(f"| {r['audio']} | {r['seconds']:.1f} | {r['words']} | {_figure(r['wer'], r.get('wer_runs'))} | "
              f"{against} | {partial['windows']} / {final['windows']} | "
              f"{partial['model_s']:.1f} / {final['model_s']:.1f} s | {_lag(r['commit_lag'])} |", file=out)
    if len(rows) > 1:
        line = f"all: WER {_figure(summary['wer'], summary.get('wer_runs'))}"
        if summary["offline_wer"] is not None:
            line += f", offline {_figure(summary['offline_wer'], summary.get('offline_wer_runs'))}"
            relative = report.relative_to_offline(summary["wer"], summary["offline_wer"])
            if relative is not None:
                line += f" ({relative:+.0%})"
        print(line, file=out)
    if args.show_text:
        for r in rows:
            print(f"\n{r['audio']}:\n{r['text']}", file=out)


def _lag(lag: dict) -> str:
    if lag["max"] is None:
        return "-"
    return f"{lag['p90']:.2f} / {lag['max']:.2f} s"


def _figure(mean: float, runs: Optional[list[float]]) -> str:
    """``0.063``, or with several starts ``0.063 (0.061-0.066)``."""
    return f"{mean:.3f}" + (f" ({min(runs):.3f}-{max(runs):.3f})" if runs else "")


if __name__ == "__main__":
    sys.exit(main())
