"""The small interface every inference backend implements.

The streaming core and the scheduler only see :class:`Transcriber`: they hand it a batch of
:class:`Request` (one audio window each, from possibly different clients) and get one :class:`Result`
per request. Backends decide how to run a batch (one call, a loop, a pool); ``max_batch_size`` tells the
scheduler how many requests it may group.
"""

from __future__ import annotations

import abc
from dataclasses import dataclass, field
from typing import Optional

import numpy as np

from whisper_live.protocol import Word
from whisper_live.transcriber.files import FileOptions, FileTranscript


@dataclass(frozen=True)
class Prefix:
    """Text a final window's answer starts with: the last committed segment, said from ``start`` seconds of
    the request's audio on (inside its replayed context)."""

    text: str
    start: float = 0.0


@dataclass
class Request:
    """One window of one client's audio to transcribe."""

    audio: np.ndarray  # float32, 16 kHz mono
    language: Optional[str] = None  # None: detect it
    task: str = "transcribe"
    initial_prompt: Optional[str] = None  # text the model is conditioned on (before any ``prefix``)
    hotwords: Optional[str] = None
    word_timestamps: bool = False
    no_speech_thresh: float = 0.45
    # How thoroughly to decode. Partial windows are decoded greedily (fast, asked for often); final windows
    # may be decoded as offline Whisper does, with beam search (their text is for good). Backends that
    # cannot honour one of them ignore it. faster_whisper sizes the encoder input by the rule for the
    # window's beam size (encoder_input.py).
    beam_size: int = 1
    full_window: bool = False  # no context: Whisper's own window (faster_whisper sizes it by ``beam_size``)
    # Seconds at the start of ``audio`` that are context only: their text is already known (it ends
    # ``prompt_text()``), and the transcript starts at this time. The model hears that audio without writing
    # it down again. Backends that cannot start mid-window transcribe only the audio from here. 0: all of it.
    decode_from: float = 0.0
    # With ``decode_from``: the text committed right before the new audio. A backend that can writes it as
    # the start of its answer, so that the model goes on with that sentence instead of starting a new one
    # where the committed text stopped ("... printing beautiful letters" / "than in the same operations", not
    # "then"), and returns only what follows; others take it as the end of the prompt (``prompt_text()``).
    prefix: Optional[Prefix] = None
    # A final window's (its text is for good): a server may decode it with a more precise model (PerWork)
    final: bool = False

    def prompt_text(self) -> Optional[str]:
        """The prompt with the prefix at its end: all the committed text the model is conditioned on."""
        parts = [text for text in (self.initial_prompt, self.prefix and self.prefix.text) if text]
        return " ".join(parts) or None


@dataclass
class RawSegment:
    """A segment as the model produced it; times are seconds from the start of the request's audio."""

    start: float
    end: float
    text: str
    no_speech_prob: float = 0.0
    avg_logprob: float = 0.0
    words: Optional[list[Word]] = None
    tokens: Optional[list[int]] = None  # the text's token ids, where the backend has them


@dataclass
class Result:
    segments: list[RawSegment] = field(default_factory=list)
    language: Optional[str] = None
    language_prob: Optional[float] = None


class BackendUnavailable(RuntimeError):
    """An optional dependency of a backend is missing; the message names what to install."""


class Transcriber(abc.ABC):
    """A loaded model. Thread-safety: ``transcribe_batch`` may be called from ``max_concurrency`` threads."""

    #: the backend name sent to clients in SERVER_READY
    backend: str = ""
    #: the model's name as clients may ask for it (e.g. "tiny.en")
    model_name: str = ""
    #: whether the model knows other languages than English (language detection, translate)
    multilingual: bool = False
    #: how many requests one ``transcribe_batch`` call accepts
    max_batch_size: int = 1
    #: how many ``transcribe_batch`` calls may run at the same time
    max_concurrency: int = 1
    #: whether it can start its answer mid-window (``Request.decode_from``, ``Request.prefix``) while still
    #: hearing the audio before: the server's final windows then go on from their replayed context
    #: (whisper_live/streaming/config.py's default_finals)
    continues_mid_window: bool = False

    @abc.abstractmethod
    def transcribe_batch(self, requests: list[Request]) -> list[Result]:
        """Transcribe each request's audio; one result per request, in order."""

    def transcribe_file(self, audio: np.ndarray, options: FileOptions) -> FileTranscript:
        """Start transcribing a whole file (16 kHz mono float32) as offline Whisper does; the returned
        transcript's ``segments`` decode one 30 s window at a time as they are asked for (never two at once:
        the caller steps it from one thread at a time). Backends that cannot say so."""
        raise NotImplementedError(f"the {self.backend} backend cannot transcribe files")

    def padded_seconds(self, seconds: float, final: bool = False) -> float:
        """The length a window of ``seconds`` of audio is computed at, a partial or a ``final`` one (what it
        costs: the scheduler batches alike ones)."""
        return seconds

    def close(self) -> None:
        """Release the model's resources."""
