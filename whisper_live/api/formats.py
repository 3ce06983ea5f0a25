"""A file's transcript in each ``response_format`` of OpenAI's audio API: json, text, srt, vtt, verbose_json,
diarized_json; and the segment event of a diarized stream.

Segments carry a ``speaker`` when the request asked for speakers (whisper_live/api/speakers.py): verbose_json
then gives each segment its ``speaker`` too.
"""

from __future__ import annotations

from whisper_live.subtitles import to_srt, to_vtt
from whisper_live.transcriber.files import FileSegment

FORMATS = ("json", "text", "srt", "vtt", "verbose_json", "diarized_json")
TEXT_FORMATS = {"text": "text/plain", "srt": "application/x-subrip", "vtt": "text/vtt"}
GRANULARITIES = ("segment", "word")


def transcript_text(segments: list[FileSegment]) -> str:
    """The whole text, as Whisper writes it (each segment's text starts with its space)."""
    return "".join(s.text for s in segments).strip()


def verbose_json(segments: list[FileSegment], *, task: str, language: str, duration: float,
                 granularities: tuple[str, ...], speakers: bool = False) -> dict:
    """OpenAI's verbose_json: the text, and the segments and/or words asked for (segments when none is);
    with ``speakers``, each segment's ``speaker``."""
    body = {"task": task, "language": language, "duration": round(duration, 3),
            "text": transcript_text(segments)}
    if "segment" in granularities or not granularities:
        body["segments"] = [{
            "id": i, "seek": s.seek, "start": round(s.start, 3), "end": round(s.end, 3), "text": s.text,
            "tokens": s.tokens, "temperature": s.temperature, "avg_logprob": s.avg_logprob,
            "compression_ratio": s.compression_ratio, "no_speech_prob": s.no_speech_prob,
            **({"speaker": s.speaker} if speakers else {}),
        } for i, s in enumerate(segments)]
    if "word" in granularities:
        body["words"] = [{"word": w.word.strip(), "start": round(w.start, 3), "end": round(w.end, 3)}
                         for s in segments for w in (s.words or [])]
    return body


def usage(duration: float) -> dict:
    return {"type": "duration", "seconds": round(duration, 3)}


def segment_id(index: int) -> str:
    return f"seg_{index}"


def diarized_segment(index: int, segment: FileSegment) -> dict:
    """One segment of diarized_json, also the ``transcript.text.segment`` event of a diarized stream."""
    return {"type": "transcript.text.segment", "id": segment_id(index), "start": round(segment.start, 3),
            "end": round(segment.end, 3), "text": segment.text.strip(), "speaker": segment.speaker}


def diarized_json(segments: list[FileSegment], *, task: str, duration: float) -> dict:
    """OpenAI's diarized_json: the text, and each segment with its speaker."""
    return {"task": task, "duration": round(duration, 3), "text": transcript_text(segments),
            "segments": [diarized_segment(i, s) for i, s in enumerate(segments)], "usage": usage(duration)}


def render(segments: list[FileSegment], response_format: str, *, task: str, language: str, duration: float,
           granularities: tuple[str, ...] = (), speakers: bool = False):
    """(body, media type): a dict for the JSON formats, a string for the others."""
    if response_format == "json":
        return {"text": transcript_text(segments), "usage": usage(duration)}, "application/json"
    if response_format == "verbose_json":
        return verbose_json(segments, task=task, language=language, duration=duration,
                            granularities=granularities, speakers=speakers), "application/json"
    if response_format == "diarized_json":
        return diarized_json(segments, task=task, duration=duration), "application/json"
    if response_format == "text":
        return transcript_text(segments) + "\n", TEXT_FORMATS["text"]
    return (to_srt if response_format == "srt" else to_vtt)(segments), TEXT_FORMATS[response_format]
