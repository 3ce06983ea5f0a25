"""``python -m whisper_live.bench.diarization``: speaker labels on conversations of real speakers.

Builds conversations (whisper_live/diarization/conversations.py) of ``--conversation N`` speakers and labels
them as a live session does (whisper_live/diarization/labeler.py, online, segment after segment), from
segments cut at the turns; ``--merge`` joins that share of consecutive turns of two speakers into one
segment (as Whisper does across a short pause), and ``--no-pause`` makes that share of speaker changes
pauseless, so the split inside a segment is measured too. Word times inside a segment are spaced evenly
(0.4 s), a stand-in for Whisper's. Reports the embedding cost (CPU seconds per second of audio).

``--rest URL`` sends each conversation as one WAV file to a running server's REST API instead
(``URL`` such as http://127.0.0.1:8000/v1; ``response_format=diarized_json``), so that the real model's
segments are labelled, as a file's are (whisper_live/api/speakers.py); the wall time is the whole request's.

``--live URL`` streams each conversation at real time to a running WhisperLive-protocol server (``URL`` such
as ws://127.0.0.1:9090; ``--spawn-server CMD`` starts one) with ``enable_diarization``, ``--clients K`` of them
at once, and scores the completed segments with their labels; it also reports final latency, WER (with
``--whole-clips``, whose conversations have a reference) and the machine's speed; ``--diarization off``
streams the same without labels, to compare (whisper_live/bench/diarization_live.py).

Every mode scores the *speech time*: what Silero VAD hears inside each turn (``accuracy``: the share of it
under a segment whose label maps, best one-to-one, to its speaker; speech under no labelled segment is
wrong), with the share of the labelled speech time that is right (``labelled``) and the share of the speech
time under a labelled segment (``coverage``). The JSON line goes to stdout, the table to stderr.
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import time
from typing import Optional

from whisper_live.bench import diarization_live
from whisper_live.bench.audio import load_audio, manifest_reference, shared_audio_dir
from whisper_live.diarization import conversations
from whisper_live.cli_exit import error_exit
from whisper_live.diarization.clustering import DEFAULT_THRESHOLD, Speakers
from whisper_live.protocol import Segment, Word

WORD_STEP = 0.4


def _segment(start: float, end: float) -> Segment:
    words, at = [], start
    while at < end - 1e-6:
        words.append(Word(at, min(at + WORD_STEP, end), f" w{len(words)}"))
        at += WORD_STEP
    return Segment(start, end, "".join(w.word for w in words).strip(), True, words)


def segments_of(turns, merge: float, seed: int) -> list[Segment]:
    rng = random.Random(seed + 1000)
    out, i = [], 0
    while i < len(turns):
        if i + 1 < len(turns) and rng.random() < merge:
            out.append(_segment(turns[i].start, turns[i + 1].end))
            i += 2
        else:
            out.append(_segment(turns[i].start, turns[i].end))
            i += 1
    return out


def scores(speech, spans) -> dict:
    """A run's figures of the labels: see the module docstring."""
    found = conversations.attribution(speech, spans)
    return {"accuracy": round(found.right, 4), "labelled": round(found.labelled_right, 4),
            "coverage": round(found.covered, 4), "speech_s": round(found.speech_s, 1),
            "labels": len({label for _, _, label in spans} - {None}), "speakers": len({t.speaker for t in speech})}


def run_one(embedder, conversation, speech, args, seed: int) -> dict:
    from whisper_live.diarization.labeler import SpeakerLabeler

    labeler = SpeakerLabeler(embedder, Speakers(args.threshold, args.max_speakers))
    segments = segments_of(conversation.turns, args.merge, seed)
    cpu, wall = time.process_time(), time.perf_counter()
    labelled = []
    for segment in segments:  # one at a time, as a live session commits them
        labelled += labeler.label(conversation.audio, 0.0, [segment])
    cpu, wall = time.process_time() - cpu, time.perf_counter() - wall
    return {"seed": seed, **scores(speech, [(s.start, s.end, s.speaker) for s in labelled]),
            "segments": len(segments), "split": len(labelled) - len(segments),
            "audio_s": round(conversation.duration, 1), "cpu_per_audio_s": round(cpu / conversation.duration, 4),
            "wall_s": round(wall, 2)}


def wav_bytes(audio) -> bytes:
    import io
    import wave

    import numpy as np

    out = io.BytesIO()
    with wave.open(out, "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(16000)
        w.writeframes((np.clip(audio, -1, 1) * 32767).astype("<i2").tobytes())
    return out.getvalue()


def labelled_share(speech, spans, mapping: dict) -> tuple[float, float]:
    """(the share of the speech time under a label that is right under ``mapping`` (label -> speaker), the
    share of the speech time under a label)."""
    found = conversations.attribution(speech, spans, mapping)
    return found.labelled_right, found.covered


def run_rest(url: str, conversation, speech, args, seed: int) -> dict:
    """One conversation through ``url``'s ``/audio/transcriptions`` as diarized_json."""
    import httpx

    data = {"response_format": "diarized_json", "model": "whisper-1"}
    if args.max_speakers:
        data["max_speakers"] = str(args.max_speakers)
    if args.threshold != DEFAULT_THRESHOLD:
        data["diarization_threshold"] = str(args.threshold)
    wall = time.perf_counter()
    response = httpx.post(url.rstrip("/") + "/audio/transcriptions", data=data, timeout=3600,
                          files={"file": ("conversation.wav", wav_bytes(conversation.audio), "audio/wav")})
    wall = time.perf_counter() - wall
    response.raise_for_status()
    segments = response.json()["segments"]
    spans = [(s["start"], s["end"], s.get("speaker")) for s in segments]
    return {"seed": seed, **scores(speech, spans), "segments": len(segments), "split": 0,
            "audio_s": round(conversation.duration, 1), "wall_s": round(wall, 2)}


def parse_args(argv: Optional[list[str]] = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(prog="python -m whisper_live.bench.diarization", description=__doc__.split("\n")[0])
    p.add_argument("--conversation", type=int, default=3, help="speakers in each conversation (default 3)")
    p.add_argument("--speakers", help="comma-separated speaker ids instead (" + ", ".join(conversations.SPEAKERS) + ")")
    p.add_argument("--seeds", help="one conversation per seed (default 0,1,2; with --clients K: 0 to K-1)")
    p.add_argument("--turns", type=int, default=4, help="turns per speaker (default 4)")
    p.add_argument("--whole-clips", action="store_true",
                   help=f"turns of whole clips, never cut at {conversations.MAX_TURN:g} s: each conversation has "
                        "a reference transcript (from ../shared's manifest), so --live measures WER")
    p.add_argument("--merge", type=float, default=0.25, help="share of turn pairs in one segment (default 0.25)")
    p.add_argument("--no-pause", type=float, default=0.0, help="share of speaker changes without a pause")
    p.add_argument("--threshold", type=float, default=DEFAULT_THRESHOLD, help="diarization_threshold")
    p.add_argument("--max-speakers", type=int, default=None)
    p.add_argument("--threads", type=int, default=1, help="onnxruntime threads (default 1)")
    p.add_argument("--rest", metavar="URL", help="through a running server's REST API at URL (.../v1) instead")
    g = p.add_argument_group("live: streamed at real time over WhisperLive's protocol")
    g.add_argument("--live", metavar="URL", help="to the server at URL (ws://127.0.0.1:PORT) instead")
    g.add_argument("--spawn-server", metavar="CMD", help="start this server command (listening at --live's "
                                                         "address), measure its CPU, stop it at the end")
    g.add_argument("--spawn-timeout", type=float, default=180.0, help="seconds to wait for it to listen")
    g.add_argument("--clients", type=int, default=1, help="conversations streamed at once (default 1)")
    g.add_argument("--diarization", choices=("on", "off"), default="on",
                   help="whether the clients ask for speaker labels (default on; off: to compare the latency)")
    g.add_argument("--word-timestamps", action="store_true",
                   help="the clients ask for word times too; with --diarization off, segments then end at their "
                        "last word, as they do with labels (which decode with word times), and latency, measured "
                        "from a segment's end, is measured from the same point in both runs")
    g.add_argument("--ready-timeout", type=float, default=30.0, help="seconds to wait for SERVER_READY")
    g.add_argument("--finish-timeout", type=float, default=60.0, help="seconds to wait for the last segments")
    g.add_argument("--no-machine-speed", dest="machine_speed", action="store_false",
                   help="skip measuring the machine's speed (bench/machine_speed.py)")
    args = p.parse_args(argv)
    if args.rest and args.live:
        p.error("--rest and --live exclude each other")
    if not args.live and (args.spawn_server or args.clients != 1 or args.diarization != "on"):
        p.error("--spawn-server, --clients and --diarization go with --live")
    if args.clients < 1:
        p.error("--clients must be at least 1")
    if args.live:
        try:
            host = diarization_live.address(args.live)[0]
        except ValueError as exc:
            p.error(str(exc))
        if host not in ("127.0.0.1", "localhost", "::1"):
            p.error("--live streams to this machine only (127.0.0.1)")
    if args.seeds is None:
        args.seeds = ",".join(str(i) for i in range(args.clients if args.clients > 1 else 3))
    return args


def say(text: str) -> None:
    print(text, file=sys.stderr, flush=True)


def main(argv: Optional[list[str]] = None) -> int:
    args = parse_args(argv)
    folder = shared_audio_dir()
    if folder is None:
        print("error: ../shared/audio is not there", file=sys.stderr)
        return 1
    speakers = args.speakers.split(",") if args.speakers else conversations.DEFAULT_SETS[args.conversation]
    talks = []
    for seed in (int(s) for s in args.seeds.split(",")):
        talk = conversations.build(folder, speakers, args.turns, seed, load_audio, args.no_pause,
                                   max_turn=0 if args.whole_clips else conversations.MAX_TURN,
                                   reference=manifest_reference)
        talks.append((seed, talk, conversations.speech_of(talk)))
    if args.live:
        try:
            summary = diarization_live.run(args, talks, scores, say)
        except RuntimeError as exc:  # the server did not start
            return error_exit(exc, 2)
    else:
        summary = {"mode": "rest" if args.rest else "labeler", "runs": run_each(args, talks)}
    runs = summary["runs"]
    summary = {"bench": "diarization", "speakers": speakers, "threshold": args.threshold,
               "max_speakers": args.max_speakers, **summary}
    if args.diarization == "on":
        speech = sum(r["speech_s"] for r in runs)
        summary["accuracy"] = round(sum(r["accuracy"] * r["speech_s"] for r in runs) / max(speech, 1e-9), 4)
        summary["exact_labels"] = sum(r["labels"] == r["speakers"] for r in runs)
        say(f"overall: {summary['accuracy']:.1%} of the speech time right; label count exact in "
            f"{summary['exact_labels']}/{len(runs)}")
    print(json.dumps(summary))
    return 0


def run_each(args, talks: list) -> list[dict]:
    """The labeler's or the REST API's runs, one conversation after another."""
    if args.rest is None:
        from whisper_live.diarization.embedder import SpeakerEmbedder

        embedder = SpeakerEmbedder(threads=args.threads)
    runs = []
    for seed, talk, speech in talks:
        runs.append(run_rest(args.rest, talk, speech, args, seed) if args.rest
                    else run_one(embedder, talk, speech, args, seed))
        r = runs[-1]
        say(f"seed {seed}: {r['accuracy']:.1%} of {r['speech_s']} s of speech right, {r['labels']} labels for "
            f"{r['speakers']} speakers, {r['segments']} segments (+{r['split']} split), {r['audio_s']} s audio, "
            f"{r['labelled']:.1%} of the labelled time right, {r['coverage']:.1%} of the speech labelled, " +
            (f"{r['wall_s']} s the request" if args.rest else f"{r['cpu_per_audio_s'] * 1000:.1f} ms CPU per audio s"))
    return runs


if __name__ == "__main__":
    sys.exit(main())
