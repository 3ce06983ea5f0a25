"""A whole file as work of the shared scheduler, behind the live clients.

A :class:`FileJob` is an inference client of :class:`whisper_live.scheduler.Scheduler` like a live client,
with work of the kind :data:`FILE`, which the scheduler serves only when no live window waits, one step per
model call. A step is the next segment of :meth:`Transcriber.transcribe_file`'s lazy transcript: the first
step starts it (features, language detection), a step that needs the next 30 s window decodes it (beam
search, conditioned on the text before it), a step whose segment was already decoded costs nothing. So the
file is transcribed exactly as offline Whisper transcribes it, and a live window that arrives waits at
most for the one window a worker is decoding.

No sockets and no model here: results go to ``on_progress`` (called on a scheduler worker thread).
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field
from typing import Callable, Optional

import numpy as np

from whisper_live.protocol import SAMPLE_RATE
from whisper_live.transcriber.base import Transcriber
from whisper_live.transcriber.files import FileOptions, FileSegment, FileTranscript
from whisper_live.streaming.windows import Pending

FILE = "file"  # the kind of work a FileJob has: after every live window (scheduler.py)


@dataclass
class FileProgress:
    """What one step gave: the transcript's facts (first step), a segment, or the end."""

    transcript: Optional[FileTranscript] = None
    segment: Optional[FileSegment] = None
    done: bool = False


@dataclass
class FileStep:
    """One step of a file's transcription, as the scheduler hands it to a worker (a Window's stand-in)."""

    job: "FileJob"
    kind: str = FILE
    request: None = None
    taken_at: float = field(default_factory=time.monotonic)

    def run(self, transcriber: Transcriber) -> FileProgress:
        return self.job._step(transcriber)

    def describe(self) -> str:
        return f"file {self.job.name} step {self.job.steps}"


class FileJob:
    """One file's transcription; ``cancel()`` frees its work (the step in flight, if any, still ends)."""

    def __init__(self, audio: np.ndarray, options: FileOptions,
                 on_progress: Callable[[Optional[FileProgress], Optional[BaseException]], None],
                 name: str = "", clock: Callable[[], float] = time.monotonic):
        self.audio = audio
        self.options = options
        self.name = name
        self.uid = f"file-{name}"
        self._on_progress = on_progress
        self._clock = clock
        self.since = clock()
        self.steps = 0
        self._lock = threading.Lock()
        self._transcript: Optional[FileTranscript] = None
        self._in_flight = False
        self.finished = False
        self.cancelled = False

    @property
    def seconds(self) -> float:
        return len(self.audio) / SAMPLE_RATE

    # --- the scheduler's client protocol -----------------------------------------------------------------------

    def pending(self) -> Optional[Pending]:
        with self._lock:
            if self._in_flight or self.finished or self.cancelled:
                return None
            return Pending(FILE, self.since, min(30.0, self.seconds))

    def take_window(self, rung=None) -> Optional[FileStep]:  # (a file step has no rung)
        with self._lock:
            if self._in_flight or self.finished or self.cancelled:
                return None
            self._in_flight = True
            self.steps += 1
            return FileStep(self)

    def deliver(self, window: FileStep, result: Optional[FileProgress], error: Optional[BaseException]) -> None:
        with self._lock:
            self._in_flight = False
            if error is not None or result is None or result.done:
                self.finished = True
            cancelled = self.cancelled
        if cancelled:
            self._close()
            return
        self._on_progress(result, error if error is not None or result is not None else
                          RuntimeError("the model gave no answer"))

    # --- the work ------------------------------------------------------------------------------------------------

    def _step(self, transcriber: Transcriber) -> FileProgress:
        if self._transcript is None:
            self._transcript = transcriber.transcribe_file(self.audio, self.options)
            return FileProgress(transcript=self._transcript)
        segment = next(self._transcript.segments, None)
        return FileProgress(segment=segment, done=segment is None)

    def cancel(self) -> None:
        """The requester left: no more steps; the generator is closed once no step runs."""
        with self._lock:
            self.cancelled = True
            running = self._in_flight
        if not running:
            self._close()

    def _close(self) -> None:
        transcript, self._transcript = self._transcript, None
        if transcript is not None and hasattr(transcript.segments, "close"):
            transcript.segments.close()
