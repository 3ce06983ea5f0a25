"""The figures of a run with room readers (``--readers``): did every reader get every completed segment, how
much later than the speaker's own client, and were the readers that never read dropped.

A speaker's completed segments are those its own client saw (:func:`whisper_live.bench.metrics.completed_segments`,
blank ones left out as the room leaves them out), in order. A reader's lines from that speaker (its
``speaker_name`` is the bench client's name) are matched to them in order by text; the delay of a line is
when the reader received it minus when the speaker's client did (one clock: both run in the bench).

With ``--room``, the room's transcript (fetched from the API at the end) is checked the same way: every
speaker's completed segments in it, in order, with the speaker's name, and its lines in time order.
"""

from __future__ import annotations

import json
import urllib.request
from typing import Iterable, Optional

from whisper_live.bench.metrics import ClientLog, completed_segments, percentile
from whisper_live.bench.readers import ReaderLog


def speaker_lines(log: ClientLog) -> list[tuple[str, float]]:
    """(text, arrival time) of each non-blank completed segment the speaker's client saw, in order."""
    return [(item.segment.text.strip(), item.t) for item in completed_segments(log) if item.segment.text.strip()]


def match(expected: list[tuple[str, float]], received: list) -> tuple[list[float], int]:
    """Delays of the expected lines a reader received (``received``: its lines from that speaker in ``seq``
    order), matched in order by text; and how many it did not receive."""
    delays, j = [], 0
    for text, t in expected:
        k = j
        while k < len(received) and received[k].text != text:
            k += 1
        if k == len(received):
            continue  # missed; the next expected line may still match from j
        delays.append(received[k].t - t)
        j = k + 1
    return delays, len(expected) - len(delays)


def _seconds(values: list[float]) -> dict:
    def r(x: Optional[float]) -> Optional[float]:
        return None if x is None else round(x, 4)

    return {"n": len(values), "p50": r(percentile(values, 50)), "p90": r(percentile(values, 90)),
            "p99": r(percentile(values, 99)), "max": r(max(values) if values else None)}


def reader_figures(speakers: Iterable[ClientLog], readers: Iterable[ReaderLog], per_reader: bool = True) -> dict:
    expected = {log.name: speaker_lines(log) for log in speakers if log.speaking}
    readers = list(readers)
    live = [r for r in readers if not r.stalled]
    stalled = [r for r in readers if r.stalled]
    every, rows, complete, missing = [], [], 0, 0
    for reader in live:
        ordered = sorted(reader.lines.values(), key=lambda line: line.seq)
        delays, lost = [], 0
        for name, lines in expected.items():
            got, gone = match(lines, [line for line in ordered if line.speaker == name])
            delays += got
            lost += gone
        every += delays
        missing += lost
        complete += reader.connected and lost == 0
        if per_reader:
            figures = _seconds(delays)
            rows.append({"reader": reader.name, "kind": reader.kind, "connected": reader.connected,
                         "missing": lost, "delay_p50_s": figures["p50"], "delay_p99_s": figures["p99"],
                         "end": reader.end_reason, "failure": reader.failure})
    p99s = [row["delay_p99_s"] for row in rows if row["delay_p99_s"] is not None]
    out = {
        "readers": len(live),
        "sse": sum(r.kind == "sse" for r in live),
        "ws": sum(r.kind == "ws" for r in live),
        "connected": sum(r.connected for r in live),
        "lines_per_reader": sum(len(lines) for lines in expected.values()),
        "complete": complete,
        "every_reader_got_every_line": bool(live) and complete == len(live),
        "missing_lines": missing,
        "dropped": sum(r.end_reason is not None and "too far behind" in r.end_reason for r in live),
        "delay_s": _seconds(every),
        "worst_reader_p99_s": max(p99s) if p99s else None,
    }
    if stalled:
        out["stalled"] = {"readers": len(stalled), "connected": sum(r.connected for r in stalled),
                          "dropped": sum(bool(r.dropped) for r in stalled),
                          "told_too_far_behind": sum(r.end_reason is not None for r in stalled)}
    if per_reader:
        out["per_reader"] = rows
    return out


def summary_line(figures: dict) -> str:
    """The readers' figures in one line, for the progress on stderr."""
    delay = figures["delay_s"]
    text = (f"  readers: {figures['complete']}/{figures['readers']} got all {figures['lines_per_reader']} lines; "
            f"delay after the speaker p50 {delay['p50']} s, p99 {delay['p99']} s, max {delay['max']} s "
            f"(worst reader's p99 {figures['worst_reader_p99_s']} s)")
    stalled = figures.get("stalled")
    if stalled:
        text += f"; stalled readers dropped {stalled['dropped']}/{stalled['readers']}"
    return text


def fetch_transcript(api: str, room: str, timeout: float = 30.0) -> Optional[list[dict]]:
    """The room's transcript lines (``GET {api}/rooms/ROOM/transcript?format=json``), or None when the API
    does not answer with it."""
    try:
        with urllib.request.urlopen(f"{api}/rooms/{room}/transcript?format=json", timeout=timeout) as answer:
            return json.load(answer)["lines"]
    except (OSError, ValueError, KeyError):
        return None


def transcript_figures(speakers: Iterable[ClientLog], lines: Optional[list[dict]]) -> dict:
    """Whether the room's transcript ``lines`` hold every completed segment each speaker's own client saw,
    in that speaker's order and labelled with its name (the bench names speakers after their clients), and
    whether the lines are in time order."""
    if lines is None:
        return {"fetched": False, "complete": False}
    per_speaker, missing = {}, 0
    for log in speakers:
        if not log.speaking:
            continue
        own = [text for text, _ in speaker_lines(log)]
        theirs = [line["text"] for line in lines if line.get("speaker") == log.name]
        lost = len(own) - sum(1 for _ in _in_order(own, theirs))
        missing += lost
        per_speaker[log.name] = {"segments": len(own), "in_transcript": len(theirs), "missing": lost}
    starts = [line["start"] for line in lines]
    names = set(per_speaker)
    return {"fetched": True, "lines": len(lines), "speakers": per_speaker, "missing_segments": missing,
            "time_ordered": starts == sorted(starts),
            "labelled": all(line.get("speaker") in names for line in lines),
            "complete": missing == 0 and bool(per_speaker)}


def _in_order(expected: list[str], got: list[str]):
    """The expected texts found in ``got`` in the same order."""
    j = 0
    for text in expected:
        k = j
        while k < len(got) and got[k] != text:
            k += 1
        if k < len(got):
            j = k + 1
            yield text


def transcript_line(figures: dict) -> str:
    """The room transcript's check in one line, for the progress on stderr."""
    if not figures["fetched"]:
        return "  room transcript: could not be fetched from the API"
    counts = ", ".join(f"{name} {s['in_transcript']}/{s['segments']}" for name, s in figures["speakers"].items())
    return (f"  room transcript: {figures['lines']} lines ({counts}); every segment of each: {figures['complete']}; "
            f"time order: {figures['time_ordered']}; names: {figures['labelled']}")
