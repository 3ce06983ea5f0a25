"""SRT and WebVTT cues from timed segments: anything with ``start``, ``end`` (seconds) and ``text``.

Shared by the client's transcript files and the API's ``response_format``; segments with no text make no cue.
A segment with a ``speaker`` (diarization) names it in its cue: ``Name: text`` in SRT, which has no markup
for speakers (the form of a script, and of a room's transcript: whisper_live/rooms/formats.py), and a voice
span ``<v Name>text`` in WebVTT.
"""

from __future__ import annotations

from typing import Iterable, Optional, Protocol


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


def speaker_of(segment: Timed) -> Optional[str]:
    """The segment's speaker label or name, or None (no diarization, or a segment without one)."""
    speaker = getattr(segment, "speaker", None)
    if speaker is None:
        return None
    return str(speaker).strip() or None


def _srt_text(s: Timed) -> str:
    speaker = speaker_of(s)
    return f"{speaker}: {s.text.strip()}" if speaker else s.text.strip()


def _vtt_text(s: Timed) -> str:
    speaker = speaker_of(s)
    if not speaker:
        return s.text.strip()
    return f"<v {vtt_escape(speaker)}>{vtt_escape(s.text.strip())}"


def vtt_escape(text: str) -> str:
    """Text safe inside a WebVTT cue with markup: a voice annotation ends at '>', and '&' and '<' start markup."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def to_srt(segments: Iterable[Timed]) -> str:
    return "\n".join(f"{i}\n{clock(s.start, ',')} --> {clock(s.end, ',')}\n{_srt_text(s)}\n"
                     for i, s in enumerate(cues(segments), 1))


def to_vtt(segments: Iterable[Timed]) -> str:
    blocks = ["WEBVTT\n"] + [f"{clock(s.start, '.')} --> {clock(s.end, '.')}\n{_vtt_text(s)}\n"
                             for s in cues(segments)]
    return "\n".join(blocks)
