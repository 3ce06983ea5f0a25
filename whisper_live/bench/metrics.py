"""The benchmark's figures, computed from what one run recorded; no I/O here.

A client's run is recorded as a :class:`ClientLog`: when each audio frame was sent (and how much audio had
been sent after it), and when each server update arrived with its segments. Everything the benchmark
reports about latency and accuracy is a function of those logs, so it can be tested with made-up events.

Definitions (docs/benchmark.md says the same in prose):

* ``send_time(t)``: the clock time at which the frame holding stream position ``t`` (seconds since the
  first sample) was sent, i.e. the first frame whose cumulative audio end is >= ``t``. A position past the
  audio sent so far when the reply arrived (a model timestamp overshooting the audio) is taken as the
  last frame sent before the reply arrived, so that no latency is negative; such cases are counted.
* final latency: for each completed segment (one per distinct ``start``, first arrival wins), the arrival
  time of the update that first carried it minus ``send_time(segment.end)``.
* partial latency: for each update whose in-progress segments reach further than any segment (completed
  or not) of the earlier updates, arrival time minus ``send_time(max end of its in-progress segments)``.
* transcript: completed segments, one per distinct ``start`` (rounded to the millisecond, first arrival
  wins), in order of ``start``; WER against the reference with :mod:`whisper_live.wer`.
"""

from __future__ import annotations

import bisect
import math
from dataclasses import dataclass, field
from typing import Callable, Iterable, Optional, Sequence

from whisper_live import wer as wer_mod
from whisper_live.protocol import Segment

# Segment times travel with three decimals; a position this close past a frame end still belongs to it.
_TIME_EPSILON = 0.0015


@dataclass
class Update:
    """One segments message as it arrived."""

    t: float  # clock time of arrival (seconds, monotonic clock)
    segments: list[Segment]


@dataclass
class ClientLog:
    """Everything one benchmark client saw and did."""

    name: str
    speaking: bool = True
    reference: Optional[str] = None
    source: str = ""  # what it streamed (a file, a joined folder)
    # Per frame sent, parallel lists: cumulative audio (seconds) after the frame, and when it was sent.
    frame_audio_end: list[float] = field(default_factory=list)
    frame_t: list[float] = field(default_factory=list)
    updates: list[Update] = field(default_factory=list)
    # "ready" (streamed), "wait", "error" (refused or failed at admission), "connect_failed".
    admission: str = "ready"
    waits: int = 0
    errors: int = 0
    warnings: int = 0
    messages: list[str] = field(default_factory=list)  # WAIT/ERROR/WARNING texts, for the report
    t_connect: Optional[float] = None
    t_ready: Optional[float] = None
    t_end_of_audio: Optional[float] = None  # when END_OF_AUDIO was sent
    t_done: Optional[float] = None  # when DISCONNECT (or the server's close) arrived after END_OF_AUDIO
    finished: bool = False
    failure: Optional[str] = None  # why the client did not finish, in words
    drops: int = 0  # connections it dropped on purpose (bench --drop-every)
    resumes: int = 0  # ... and the session resumed after them
    bytes_sent: int = 0  # of audio frames, sent again after a resume included

    def record_frame(self, audio_end: float, t: float) -> None:
        if self.frame_audio_end and audio_end <= self.frame_audio_end[-1]:
            return  # sent again after a resume: the audio's time is when it was first sent
        self.frame_audio_end.append(audio_end)
        self.frame_t.append(t)

    @property
    def audio_sent(self) -> float:
        return self.frame_audio_end[-1] if self.frame_audio_end else 0.0


@dataclass
class Lookup:
    t: float
    overshoot: bool  # the position was past the audio sent before the reply arrived


def send_time(log: ClientLog, position: float, arrival: float) -> Optional[Lookup]:
    """When the audio at ``position`` was sent, as seen by a reply arriving at ``arrival``."""
    if not log.frame_t:
        return None
    # Frames sent before the reply arrived: a reply cannot be about audio the server has not had.
    sent_before = bisect.bisect_right(log.frame_t, arrival)
    if sent_before == 0:
        return None
    index = bisect.bisect_left(log.frame_audio_end, position - _TIME_EPSILON)
    if index >= sent_before:
        return Lookup(log.frame_t[sent_before - 1], True)
    return Lookup(log.frame_t[index], False)


@dataclass
class FirstSeen:
    segment: Segment
    t: float


def completed_segments(log: ClientLog) -> list[FirstSeen]:
    """Completed segments, one per distinct start (first arrival wins), in order of start."""
    seen: dict[int, FirstSeen] = {}
    for update in log.updates:
        for seg in update.segments:
            if not seg.completed:
                continue
            key = round(seg.start * 1000)
            if key not in seen:
                seen[key] = FirstSeen(seg, update.t)
    return [seen[k] for k in sorted(seen)]


def transcript(log: ClientLog) -> str:
    return " ".join(item.segment.text.strip() for item in completed_segments(log) if item.segment.text.strip())


def segment_table(log: ClientLog) -> str:
    """One line per completed segment: start and end (s of the stream), final latency (s; "-" where no audio
    had been sent yet) and text, tab-separated under a header; to see which segments are late."""
    lines = ["start\tend\tlatency\ttext"]
    for item in completed_segments(log):
        found = send_time(log, item.segment.end, item.t)
        latency = "-" if found is None else f"{item.t - found.t:.3f}"
        lines.append(f"{item.segment.start:.2f}\t{item.segment.end:.2f}\t{latency}\t{item.segment.text.strip()}")
    return "\n".join(lines)


@dataclass
class Latencies:
    values: list[float] = field(default_factory=list)
    positions: list[float] = field(default_factory=list)  # where in the stream each value's audio ends (s)
    overshoots: int = 0  # positions past the audio sent when the reply arrived (latency floored there)
    unmatched: int = 0  # replies arriving before any audio was sent (ignored)


def final_latencies(log: ClientLog) -> Latencies:
    out = Latencies()
    for item in completed_segments(log):
        found = send_time(log, item.segment.end, item.t)
        if found is None:
            out.unmatched += 1
            continue
        out.overshoots += found.overshoot
        out.values.append(item.t - found.t)
        out.positions.append(item.segment.end)
    return out


def partial_latencies(log: ClientLog) -> Latencies:
    out = Latencies()
    covered = -math.inf
    for update in log.updates:
        partial_ends = [seg.end for seg in update.segments if not seg.completed]
        reach = max(partial_ends) if partial_ends else -math.inf
        if partial_ends and reach > covered + _TIME_EPSILON:
            found = send_time(log, reach, update.t)
            if found is None:
                out.unmatched += 1
            else:
                out.overshoots += found.overshoot
                out.values.append(update.t - found.t)
                out.positions.append(reach)
        ends = [seg.end for seg in update.segments]
        if ends:
            covered = max(covered, max(ends))
    return out


def percentile(values: Sequence[float], q: float) -> Optional[float]:
    """The q-th percentile (0..100), linear between closest ranks (numpy's default); None if empty."""
    if not values:
        return None
    ordered = sorted(values)
    rank = (len(ordered) - 1) * q / 100.0
    low = math.floor(rank)
    high = math.ceil(rank)
    return ordered[low] + (ordered[high] - ordered[low]) * (rank - low)


def summary(values: Sequence[float]) -> dict:
    """n, p50, p90, max and mean of a list of seconds (None where there is nothing to summarise)."""
    def r(x: Optional[float]) -> Optional[float]:
        return None if x is None else round(x, 3)

    return {
        "n": len(values),
        "p50": r(percentile(values, 50)),
        "p90": r(percentile(values, 90)),
        "max": r(max(values) if values else None),
        "mean": r(sum(values) / len(values) if values else None),
    }


def client_figures(log: ClientLog) -> dict:
    """The per-client block of the report."""
    final = final_latencies(log)
    partial = partial_latencies(log)
    text = transcript(log)
    words = len(wer_mod.normalize(text).split())
    client_wer = None
    if log.speaking and log.reference is not None and log.admission == "ready":
        client_wer = round(wer_mod.wer(log.reference, text), 4)
    finish_s = None
    if log.t_done is not None and log.t_end_of_audio is not None:
        finish_s = round(log.t_done - log.t_end_of_audio, 3)
    return {
        "name": log.name,
        "speaking": log.speaking,
        "audio": log.source,
        "admission": log.admission,
        "finished": log.finished,
        "failure": log.failure,
        "audio_sent_s": round(log.audio_sent, 3),
        "updates": len(log.updates),
        "segments": len(completed_segments(log)),
        "words": words,
        "wer": client_wer,
        "final_latency_s": summary(final.values),
        "partial_latency_s": summary(partial.values),
        "overshoots": final.overshoots + partial.overshoots,
        "finish_s": finish_s,
        "waits": log.waits,
        "errors": log.errors,
        "warnings": log.warnings,
        "messages": log.messages[:5],
        "drops": log.drops,
        "resumes": log.resumes,
        "bytes_per_audio_s": round(log.bytes_sent / log.audio_sent, 1) if log.audio_sent else None,
    }


def _scored(speakers: list[ClientLog]) -> list[ClientLog]:
    """The speakers whose transcript has a WER: admitted, with a reference."""
    return [log for log in speakers if log.reference is not None and log.admission == "ready"]


def _corpus_wer(scored: list[ClientLog]) -> Optional[float]:
    if not scored:
        return None
    return round(wer_mod.corpus_wer([log.reference or "" for log in scored], [transcript(log) for log in scored]), 4)


def aggregate(logs: Iterable[ClientLog]) -> dict:
    """Figures over all clients: latencies pooled over speaking clients, corpus WER over them."""
    logs = list(logs)
    speakers = [log for log in logs if log.speaking]
    silent = [log for log in logs if not log.speaking]
    final: list[float] = []
    partial: list[float] = []
    for log in speakers:
        final.extend(final_latencies(log).values)
        partial.extend(partial_latencies(log).values)
    silent_final = [value for log in silent for value in final_latencies(log).values]
    scored = _scored(speakers)
    corpus = _corpus_wer(scored)
    per_client_wer = [wer_mod.wer(log.reference or "", transcript(log)) for log in scored]
    return {
        "clients": len(speakers),
        "silent": len(silent),
        "finished": sum(log.finished for log in logs),
        "all_finished": bool(logs) and all(log.finished for log in logs),
        "not_finished": [log.name for log in logs if not log.finished],
        "replies": {
            "wait": sum(log.waits for log in logs),
            "error": sum(log.errors for log in logs),
            "warning": sum(log.warnings for log in logs),
        },
        "final_latency_s": summary(final),
        "partial_latency_s": summary(partial),
        "wer": corpus,
        "wer_max": round(max(per_client_wer), 4) if per_client_wer else None,
        "silent_words": sum(len(wer_mod.normalize(transcript(log)).split()) for log in silent),
        # (silent clients that say a phrase now and then: bench --silent-speaks)
        "silent_final_latency_s": summary(silent_final),
        # what the audio costs on the link: bytes of audio frames per second of audio, over all clients
        "bytes_per_audio_s": (round(sum(log.bytes_sent for log in logs) / sum(log.audio_sent for log in logs), 1)
                              if any(log.audio_sent for log in logs) else None),
    }


def latency_by_part(logs: Iterable[ClientLog], parts: int,
                    latencies: Callable[[ClientLog], Latencies] = final_latencies) -> list[dict]:
    """The speakers' latencies (final, or ``partial_latencies``) grouped by where their audio ends in each
    client's stream: its first ``parts``-th, the next, and so on. For a soak run (the audio streamed several
    times, one part per time), whether latency drifts as a session grows old."""
    groups: list[list[float]] = [[] for _ in range(parts)]
    for log in logs:
        if not log.speaking or log.audio_sent <= 0:
            continue
        found = latencies(log)
        for position, value in zip(found.positions, found.values):
            groups[min(parts - 1, max(0, int(position / log.audio_sent * parts)))].append(value)
    return [summary(group) for group in groups]


def wer_by_source(logs: Iterable[ClientLog]) -> list[dict]:
    """Corpus WER of the speakers that streamed each audio, in order of first appearance."""
    groups: dict[str, list[ClientLog]] = {}
    for log in logs:
        if log.speaking:
            groups.setdefault(log.source, []).append(log)
    rows = []
    for source, group in groups.items():
        rows.append({"audio": source, "clients": len(group), "wer": _corpus_wer(_scored(group))})
    return rows


def meets_target(figures: dict, target_p90: float, target_max: Optional[float] = None) -> bool:
    """Every client finished, none was refused, and the pooled final latency is within the target."""
    if not figures["all_finished"] or figures["replies"]["wait"] or figures["replies"]["error"]:
        return False
    final = figures["final_latency_s"]
    if figures["clients"] and final["p90"] is None:
        return False  # speakers but no completed segment: nothing was transcribed
    if final["p90"] is not None and final["p90"] > target_p90:
        return False
    if target_max is not None and final["max"] is not None and final["max"] > target_max:
        return False
    return True
