"""The diarization bench's live mode: conversations streamed at real time over WhisperLive's protocol, scored.

``--clients K`` clients stream at once, each its own conversation (the seeds, K at a time), through the load
bench's client (whisper_live/bench/clients.py) with ``enable_diarization`` (``--diarization off``: without,
the same run to compare with). Each conversation's completed segments (the first arrival of each, with its
speaker label) are scored against its speech time (whisper_live/diarization/conversations.py); final
latency is the load bench's (whisper_live/bench/metrics.py), pooled over all clients; WER is against the
conversation's reference where it has one (``--whole-clips``). The server is the one at ``--live``'s URL, or
one that ``--spawn-server`` starts and stops (its CPU measured then). The machine's speed is measured first.
"""

from __future__ import annotations

from typing import Callable
from urllib.parse import urlsplit

from whisper_live.bench import clients, machine_speed, metrics, report
from whisper_live.bench.plan import ClientPlan, RunSettings
from whisper_live.bench.server_process import ServerWatch, SpawnedServer
from whisper_live.diarization.clustering import DEFAULT_THRESHOLD

STAGGER = 1.0  # the clients of a run start evenly spread over this many seconds
DEFAULT_PORT = 9090


def address(url: str) -> tuple[str, int]:
    """(host, port) of a ``ws://HOST:PORT`` URL."""
    parts = urlsplit(url)
    if parts.scheme != "ws" or not parts.hostname:
        raise ValueError(f"--live takes ws://HOST:PORT, not {url!r}")
    return parts.hostname, parts.port or DEFAULT_PORT


def settings_of(args) -> RunSettings:
    host, port = address(args.live)
    return RunSettings(host=host, port=port, diarize=args.diarization == "on", max_speakers=args.max_speakers,
                       word_timestamps=args.word_timestamps,
                       diarization_threshold=None if args.threshold == DEFAULT_THRESHOLD else args.threshold,
                       ready_timeout=args.ready_timeout, finish_timeout=args.finish_timeout)


def plans_of(talks: list) -> list[ClientPlan]:
    """One client per (seed, conversation, speech) of ``talks``, named after its seed."""
    return [ClientPlan(f"seed{seed}", talk.audio, True, talk.reference, i * STAGGER / len(talks),
                       f"conversation of seed {seed}") for i, (seed, talk, _) in enumerate(talks)]


def conversation_figures(log: metrics.ClientLog, talk, speech, diarize: bool, scores: Callable) -> dict:
    """One client's conversation: the labels' scores (with diarization), its latency, WER and end."""
    items = metrics.completed_segments(log)
    spans = [(item.segment.start, item.segment.end, item.segment.speaker) for item in items]
    found = scores(speech, spans)
    if not diarize:  # nothing to attribute: only the speech time and the labels (none, unless the server errs)
        found = {"speech_s": found["speech_s"], "labels": found["labels"], "speakers": found["speakers"]}
    client = metrics.client_figures(log)
    return {**found, "segments": len(items), "audio_s": round(talk.duration, 1),
            "final_latency_s": client["final_latency_s"], "wer": client["wer"], "finished": log.finished,
            "failure": log.failure, "messages": log.messages[:3]}


def run(args, talks: list, scores: Callable, say: Callable[[str], None]) -> dict:
    """Stream ``talks`` ((seed, Conversation, speech) each), ``args.clients`` at a time; the JSON line."""
    settings = settings_of(args)
    speed = machine_speed.measure_or_why(args.machine_speed)  # before any server runs
    spawned = None
    runs, logs, servers = [], [], []
    try:
        if args.spawn_server:
            say(f"starting the server: {args.spawn_server}")
            spawned = SpawnedServer(args.spawn_server, settings.host, settings.port, args.spawn_timeout)
            spawned.__enter__()
        for first in range(0, len(talks), args.clients):
            group = talks[first:first + args.clients]
            say(f"streaming {len(group)} conversation(s) at once to {settings.uri}, labels "
                f"{args.diarization} ...")
            watch = ServerWatch(spawned.pid) if spawned is not None else None
            result = clients.run_clients(plans_of(group), settings, watch, idle_sample=1.0 if watch else 0.0)
            if result.server:
                servers.append(result.server)
            for log, (seed, talk, speech) in zip(result.logs, group):
                runs.append({"seed": seed, **conversation_figures(log, talk, speech, settings.diarize, scores)})
                say(describe(runs[-1]))
            logs += result.logs
    finally:
        if spawned is not None:
            spawned.stop()
    pooled = metrics.aggregate(logs)
    summary = {"mode": "live", "diarization": args.diarization, "word_timestamps": args.word_timestamps,
               "clients": args.clients,
               "finished": pooled["finished"], "final_latency_s": pooled["final_latency_s"],
               "partial_latency_s": pooled["partial_latency_s"], "wer": pooled["wer"],
               "machine": {**report.machine(), "speed": speed}, "server_cpu_percent":
                   [s.get("cpu_percent") for s in servers] or None, "runs": runs}
    say(f"final latency p50 {pooled['final_latency_s']['p50']} s, p90 {pooled['final_latency_s']['p90']} s; "
        f"WER {pooled['wer']}; {machine_speed.describe(speed)}")
    return summary


def describe(run_figures: dict) -> str:
    r = run_figures
    labels = (f"{r['accuracy']:.1%} of {r['speech_s']} s of speech right ({r['labelled']:.1%} of the labelled, "
              f"{r['coverage']:.1%} labelled), {r['labels']} labels for {r['speakers']} speakers, "
              if "accuracy" in r else "")
    fin = r["final_latency_s"]
    return (f"seed {r['seed']}: {labels}{r['segments']} segments, final p50 {fin['p50']} / p90 {fin['p90']} s"
            f"{', WER ' + str(r['wer']) if r['wer'] is not None else ''}"
            f"{'' if r['finished'] else ', NOT finished: ' + str(r['failure'])}")
