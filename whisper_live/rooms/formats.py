"""A room's transcript as a file: plain text, SRT, WebVTT (a voice span per speaker) or JSON."""

from __future__ import annotations

import json
from dataclasses import dataclass

from whisper_live import subtitles
from whisper_live.rooms.lines import Line

FORMATS = {"txt": "text/plain; charset=utf-8", "srt": "application/x-subrip; charset=utf-8",
           "vtt": "text/vtt; charset=utf-8", "json": "application/json"}


@dataclass
class _Cue:
    start: float
    end: float
    text: str


def transcript(room: str, lines: list[Line], fmt: str) -> str:
    """The lines (in time order) in ``fmt``, one of :data:`FORMATS`; each names its speaker."""
    if fmt == "txt":
        return "".join(f"{line.who}: {line.text}\n" for line in lines)
    if fmt == "srt":
        return subtitles.to_srt(_Cue(line.start, line.end, f"{line.who}: {line.text}") for line in lines)
    if fmt == "vtt":
        return subtitles.to_vtt(_Cue(line.start, line.end, f"<v {_vtt_escape(line.who)}>{_vtt_escape(line.text)}")
                                for line in lines)
    if fmt == "json":
        return json.dumps({"room": room, "lines": [line.to_json() for line in lines]})
    raise ValueError(f"unknown transcript format {fmt!r}: use one of {', '.join(FORMATS)}")


def _vtt_escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
