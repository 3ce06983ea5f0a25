"""``python -m whisper_live.bench.diarization``: speaker labels on conversations of real speakers.

Builds conversations (whisper_live/diarization/conversations.py) of ``--conversation N`` speakers and labels
them as a live session does (whisper_live/diarization/labeler.py, online, segment after segment), from
segments cut at the turns; ``--merge`` joins that share of consecutive turns of two speakers into one
segment (as Whisper does across a short pause), and ``--no-pause`` makes that share of speaker changes
pauseless, so the split inside a segment is measured too. Word times inside a segment are spaced evenly
(0.4 s), a stand-in for Whisper's. Reports the speech time attributed to the right speaker under the best
one-to-one mapping, the number of labels, and the embedding cost (CPU seconds per second of audio). The
JSON line goes to stdout, the table to stderr.

``--rest URL`` sends each conversation as one WAV file to a running server's REST API instead
(``URL`` such as http://127.0.0.1:8000/v1; ``response_format=diarized_json``), so that the real model's
segments are labelled, as a file's are (whisper_live/api/speakers.py); the wall time is the whole request's.
Whisper's segments do not cover all of a turn (a clip's silence at its ends, the gaps between segments), so
this mode also reports the share of the labelled speech time that is attributed right (``labelled``) and the
share of the turns' time that segments cover (``coverage``); ``accuracy`` is about their product.
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import time
from typing import Optional

from whisper_live.bench.audio import load_audio, shared_audio_dir
from whisper_live.diarization import conversations
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


def run_one(embedder, conversation, args, seed: int) -> dict:
    from whisper_live.diarization.labeler import SpeakerLabeler

    labeler = SpeakerLabeler(embedder, Speakers(args.threshold, args.max_speakers))
    segments = segments_of(conversation.turns, args.merge, seed)
    cpu, wall = time.process_time(), time.perf_counter()
    labelled = []
    for segment in segments:  # one at a time, as a live session commits them
        labelled += labeler.label(conversation.audio, 0.0, [segment])
    cpu, wall = time.process_time() - cpu, time.perf_counter() - wall
    accuracy, mapping = conversations.attributed(conversation.turns, [(s.start, s.end, s.speaker)
                                                                      for s in labelled])
    return {"seed": seed, "accuracy": round(accuracy, 4), "labels": len({s.speaker for s in labelled} - {None}),
            "speakers": len({t.speaker for t in conversation.turns}), "segments": len(segments),
            "split": len(labelled) - len(segments), "audio_s": round(conversation.duration, 1),
            "cpu_per_audio_s": round(cpu / conversation.duration, 4), "wall_s": round(wall, 2)}


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


def labelled_share(turns, spans, mapping: dict, step: float = 0.01) -> tuple[float, float]:
    """(the share of the speech time that has a label which is right under ``mapping`` (label -> speaker),
    the share of the speech time that has a label)."""
    import numpy as np

    frames = int(max(t.end for t in turns) / step) + 1
    speakers = sorted({t.speaker for t in turns})
    truth, said = np.full(frames, -1), np.full(frames, -2)
    for t in turns:
        truth[int(t.start / step):int(t.end / step)] = speakers.index(t.speaker)
    for start, end, label in spans:
        if label is not None:
            said[int(start / step):int(end / step)] = speakers.index(mapping[label]) if label in mapping else -1
    labelled = (truth >= 0) & (said > -2)
    right = labelled & (truth == said)
    return float(right.sum() / max(labelled.sum(), 1)), float(labelled.sum() / max((truth >= 0).sum(), 1))


def run_rest(url: str, conversation, args, seed: int) -> dict:
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
    spans = [(s["start"], s["end"], s["speaker"]) for s in segments]
    accuracy, mapping = conversations.attributed(conversation.turns, spans)
    labelled, coverage = labelled_share(conversation.turns, spans, mapping)
    return {"seed": seed, "accuracy": round(accuracy, 4), "labelled": round(labelled, 4),
            "coverage": round(coverage, 4), "labels": len({s["speaker"] for s in segments} - {None}),
            "speakers": len({t.speaker for t in conversation.turns}), "segments": len(segments), "split": 0,
            "audio_s": round(conversation.duration, 1), "wall_s": round(wall, 2)}


def parse_args(argv: Optional[list[str]] = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(prog="python -m whisper_live.bench.diarization", description=__doc__.split("\n")[0])
    p.add_argument("--conversation", type=int, default=3, help="speakers in each conversation (default 3)")
    p.add_argument("--speakers", help="comma-separated speaker ids instead (" + ", ".join(conversations.SPEAKERS) + ")")
    p.add_argument("--seeds", default="0,1,2", help="one conversation per seed (default 0,1,2)")
    p.add_argument("--turns", type=int, default=4, help="turns per speaker (default 4)")
    p.add_argument("--merge", type=float, default=0.25, help="share of turn pairs in one segment (default 0.25)")
    p.add_argument("--no-pause", type=float, default=0.0, help="share of speaker changes without a pause")
    p.add_argument("--threshold", type=float, default=DEFAULT_THRESHOLD, help="diarization_threshold")
    p.add_argument("--max-speakers", type=int, default=None)
    p.add_argument("--threads", type=int, default=1, help="onnxruntime threads (default 1)")
    p.add_argument("--rest", metavar="URL", help="through a running server's REST API at URL (.../v1) instead")
    return p.parse_args(argv)


def main(argv: Optional[list[str]] = None) -> int:
    args = parse_args(argv)
    folder = shared_audio_dir()
    if folder is None:
        print("error: ../shared/audio is not there", file=sys.stderr)
        return 1
    speakers = args.speakers.split(",") if args.speakers else conversations.DEFAULT_SETS[args.conversation]
    if args.rest is None:
        from whisper_live.diarization.embedder import SpeakerEmbedder

        embedder = SpeakerEmbedder(threads=args.threads)
    runs = []
    for seed in (int(s) for s in args.seeds.split(",")):
        conversation = conversations.build(folder, speakers, args.turns, seed, load_audio, args.no_pause)
        runs.append(run_rest(args.rest, conversation, args, seed) if args.rest
                    else run_one(embedder, conversation, args, seed))
        r = runs[-1]
        print(f"seed {seed}: {r['accuracy']:.1%} right, {r['labels']} labels for {r['speakers']} speakers, "
              f"{r['segments']} segments (+{r['split']} split), {r['audio_s']} s audio, " +
              (f"{r['labelled']:.1%} of the labelled time right, {r['coverage']:.1%} of turn time labelled, "
             f"{r['wall_s']} s the request" if args.rest else
               f"{r['cpu_per_audio_s'] * 1000:.1f} ms CPU per audio s"), file=sys.stderr)
    speech = sum(r["audio_s"] for r in runs)
    summary = {"bench": "diarization", "mode": "rest" if args.rest else "labeler", "speakers": speakers,
               "threshold": args.threshold,
               "accuracy": round(sum(r["accuracy"] * r["audio_s"] for r in runs) / speech, 4),
               "exact_labels": sum(r["labels"] == r["speakers"] for r in runs), "runs": runs}
    print(f"overall: {summary['accuracy']:.1%} right; label count exact in {summary['exact_labels']}/{len(runs)}",
          file=sys.stderr)
    print(json.dumps(summary))
    return 0


if __name__ == "__main__":
    sys.exit(main())
