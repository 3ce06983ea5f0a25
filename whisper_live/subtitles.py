"""SRT and WebVTT cues from timed segments: anything with ``start``, ``end`` (seconds) and ``text``.

Shared by the client's transcript files and the API's ``response_format``; segments with no text make no cue.
"""

from __future__ import annotations

from typing import Iterable, Protocol


class Timed(Protocol):
    start: float
    end: float
    text: str


def clock(seconds: float, separator: str) -> str:
    """``HH:MM:SS<separator>mmm``: SRT uses ',' before the milliseconds, WebVTT '.'."""
    millis = max(0, int(round(seconds * 1000)))
    hours, millis = divmod(millis, 3_600_000)
    minutes, millis = divmod(millis, 60_000)
    secs, millis = divmod(millis, 1000)
    return f"{hours:02d}:{minutes:02d}:{secs:02d}{separator}{millis:03d}"


def cues(segments: Iterable[Timed]) -> list:
    return [s for s in segments if s.text.strip()]


def to_srt(segments: Iterable[Timed]) -> str:
    return "\n".join(f"{i}\n{clock(s.start, ',')} --> {clock(s.end, ',')}\n{s.text.strip()}\n"
                     for i, s in enumerate(cues(segments), 1))


def to_vtt(segments: Iterable[Timed]) -> str:
    blocks = ["WEBVTT\n"] + [f"{clock(s.start, '.')} --> {clock(s.end, '.')}\n{s.text.strip()}\n"
                             for s in cues(segments)]
    return "\n".join(blocks)
