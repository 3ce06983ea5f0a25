"""What a whole file is transcribed with, and what comes back: the shapes of :meth:`Transcriber.transcribe_file`.

A file is decoded as offline Whisper decodes it: 30 s windows one after the other, each conditioned on the
text before it, with beam search. The segments come back lazily, so that the caller (the scheduler) decides
when the next window is decoded.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Iterator, Optional

from whisper_live.protocol import Word

# Whisper's temperature fallback: a window whose answer repeats itself or is improbable is decoded again,
# sampling at the next temperature.
FALLBACK_STEP = 0.2


@dataclass
class FileOptions:
    """How to transcribe one file (the fields of an OpenAI transcription request that the model uses)."""

    language: Optional[str] = None  # None: detect it from the first 30 s
    task: str = "transcribe"  # or "translate" (to English)
    initial_prompt: Optional[str] = None
    hotwords: Optional[str] = None
    word_timestamps: bool = False
    temperature: float = 0.0  # the first temperature; the fallback goes up from it to 1.0
    beam_size: int = 5

    @property
    def temperatures(self) -> tuple[float, ...]:
        """Temperatures to try in turn, from ``temperature`` up to 1.0."""
        first = min(1.0, max(0.0, self.temperature))
        steps = int(round((1.0 - first) / FALLBACK_STEP))
        return tuple(round(first + i * FALLBACK_STEP, 2) for i in range(steps + 1)) or (first,)


@dataclass
class FileSegment:
    """One segment of a file's transcript; times in seconds from the start of the file."""

    id: int
    seek: int  # the window it was decoded in (mel frames from the start, Whisper's ``seek``)
    start: float
    end: float
    text: str
    tokens: list[int] = field(default_factory=list)
    temperature: float = 0.0
    avg_logprob: float = 0.0
    compression_ratio: float = 0.0
    no_speech_prob: float = 0.0
    words: Optional[list[Word]] = None
    speaker: Optional[str] = None  # when the request asked for speakers (whisper_live/api/speakers.py)


@dataclass
class FileTranscript:
    """A file's transcript as it is decoded: ``segments`` decodes the next window when it needs one."""

    language: str
    language_prob: float
    duration: float  # seconds of audio
    segments: Iterator[FileSegment]
