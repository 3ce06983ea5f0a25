"""Transcript files: SRT, WebVTT, plain text and JSON, from completed segments.

With speaker labels (``--diarize``) each format names the speaker: ``Name: text`` in SRT, ``<v Name>`` in WebVTT
(whisper_live/subtitles.py), a ``Name: text`` line per change of speaker in plain text, and a ``speaker`` field
per segment in JSON.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Optional

from whisper_live.protocol import Segment
from whisper_live.subtitles import cues as _cues, speaker_of, to_srt, to_vtt  # noqa: F401 (this module's API)

FORMATS = ("srt", "vtt", "txt", "json")
_EXTENSIONS = {".srt": "srt", ".vtt": "vtt", ".txt": "txt", ".text": "txt", ".json": "json"}


def format_from_path(path: str | os.PathLike, default: str = "srt") -> str:
    """The format a file name asks for by its extension, or ``default``."""
    return _EXTENSIONS.get(Path(path).suffix.lower(), default)


def to_txt(segments: list[Segment]) -> str:
    """A line per segment; with speakers, a ``Name: text`` line per turn (a new line where the speaker changes)."""
    lines: list[str] = []
    turn: object = object()  # the speaker of the line being written (no segment has this one)
    for seg in _cues(segments):
        speaker = speaker_of(seg)
        if speaker is None:
            lines.append(seg.text.strip())
        elif speaker == turn:
            lines[-1] += " " + seg.text.strip()
        else:
            lines.append(f"{speaker}: {seg.text.strip()}")
        turn = speaker
    return "\n".join(lines) + ("\n" if lines else "")


def to_json(segments: list[Segment], language: Optional[str] = None, source: Optional[str] = None) -> str:
    items = []
    for seg in segments:
        item = {"start": round(seg.start, 3), "end": round(seg.end, 3), "text": seg.text.strip()}
        if seg.speaker is not None:
            item["speaker"] = seg.speaker
        if seg.words is not None:
            item["words"] = [{"start": round(w.start, 3), "end": round(w.end, 3), "word": w.word.strip(),
                              "probability": round(w.probability, 4)} for w in seg.words]
        items.append(item)
    data = {"source": source, "language": language,
            "text": " ".join(s.text.strip() for s in segments if s.text.strip()), "segments": items}
    speakers = list(dict.fromkeys(s.speaker for s in segments if s.speaker is not None))
    if speakers:
        data["speakers"] = speakers  # in order of appearance
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
