"""Transcript files: SRT, WebVTT, plain text and JSON, from completed segments."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Optional

from whisper_live.protocol import Segment

FORMATS = ("srt", "vtt", "txt", "json")
_EXTENSIONS = {".srt": "srt", ".vtt": "vtt", ".txt": "txt", ".text": "txt", ".json": "json"}


def format_from_path(path: str | os.PathLike, default: str = "srt") -> str:
    """The format a file name asks for by its extension, or ``default``."""
    return _EXTENSIONS.get(Path(path).suffix.lower(), default)


def _clock(seconds: float, sep: str) -> str:
    ms = max(0, int(round(seconds * 1000)))
    hours, ms = divmod(ms, 3_600_000)
    minutes, ms = divmod(ms, 60_000)
    secs, ms = divmod(ms, 1000)
    return f"{hours:02d}:{minutes:02d}:{secs:02d}{sep}{ms:03d}"


def _cues(segments: list[Segment]) -> list[Segment]:
    return [s for s in segments if s.text.strip()]


def to_srt(segments: list[Segment]) -> str:
    blocks = []
    for i, seg in enumerate(_cues(segments), 1):
        blocks.append(f"{i}\n{_clock(seg.start, ',')} --> {_clock(seg.end, ',')}\n{seg.text.strip()}\n")
    return "\n".join(blocks)


def to_vtt(segments: list[Segment]) -> str:
    blocks = ["WEBVTT\n"]
    for seg in _cues(segments):
        blocks.append(f"{_clock(seg.start, '.')} --> {_clock(seg.end, '.')}\n{seg.text.strip()}\n")
    return "\n".join(blocks)


def to_txt(segments: list[Segment]) -> str:
    lines = [seg.text.strip() for seg in _cues(segments)]
    return "\n".join(lines) + ("\n" if lines else "")


def to_json(segments: list[Segment], language: Optional[str] = None, source: Optional[str] = None) -> str:
    items = []
    for seg in segments:
        item = {"start": round(seg.start, 3), "end": round(seg.end, 3), "text": seg.text.strip()}
        if seg.words is not None:
            item["words"] = [{"start": round(w.start, 3), "end": round(w.end, 3), "word": w.word.strip(),
                              "probability": round(w.probability, 4)} for w in seg.words]
        items.append(item)
    data = {"source": source, "language": language,
            "text": " ".join(s.text.strip() for s in segments if s.text.strip()), "segments": items}
    return json.dumps(data, indent=2, ensure_ascii=False) + "\n"


def render(segments: list[Segment], fmt: str, language: Optional[str] = None, source: Optional[str] = None) -> str:
    if fmt == "srt":
        return to_srt(segments)
    if fmt == "vtt":
        return to_vtt(segments)
    if fmt == "txt":
        return to_txt(segments)
    if fmt == "json":
        return to_json(segments, language, source)
    raise ValueError(f"unknown transcript format {fmt!r}: use one of {', '.join(FORMATS)}")


def write_transcript(path: str | os.PathLike, segments: list[Segment], fmt: Optional[str] = None,
                     language: Optional[str] = None, source: Optional[str] = None) -> Path:
    """Write ``segments`` to ``path`` in ``fmt`` (default: from the extension, else SRT); returns the path."""
    path = Path(path)
    fmt = fmt or format_from_path(path)
    text = render(segments, fmt, language, source)
    if path.parent and not path.parent.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
    # Write then rename so that a reader never sees half a file.
    tmp = path.with_name(path.name + ".part")
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, path)
    return path
