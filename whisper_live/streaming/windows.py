"""What a stream hands the scheduler, and what the model's answer changed.

:class:`Pending` says that a client has work (and how urgent and how long it is), :class:`Window` is one
model call's worth of a client's audio, :class:`Update` is what applying the answer changed, ready to be
sent; :func:`window_request` says how thoroughly a window is decoded. The stream (planning.py, answers.py) makes
them; whisper_live/scheduler.py and the server consume them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import NamedTuple, Optional

import numpy as np

from whisper_live.streaming import final_context
from whisper_live.protocol import SAMPLE_RATE, Segment
from whisper_live.streaming.config import StreamConfig
from whisper_live.transcriber.base import Request

FINAL, PARTIAL = "final", "partial"


@dataclass
class Window:
    """One model call's worth of a client's audio."""

    kind: str  # FINAL or PARTIAL
    start: int  # first sample, counted from the start of the stream
    end: int  # one past the last sample
    request: Request
    forced: bool = False  # a window cut at max_window: commit all but its last segment
    context: int = 0  # samples of committed audio before ``start`` included in the request's audio
    context_text: str = ""  # the committed text of that audio
    lead: int = 0  # samples of silence before ``start`` (and any context) included in the request's audio
    taken_at: float = 0.0  # monotonic time the window was handed out
    reason: str = ""  # a final window's: why its speech awaited it (final_windows.py)
    rung: str = ""  # the quality ladder's rung it was decoded at (whisper_live/ladder.py), when a runner has one

    def describe(self) -> str:
        """For logs: "final 154.37-160.46 s, 20.0 s context, beam 5"."""
        parts = [f"{'forced ' if self.forced else ''}{self.kind} {self.start / SAMPLE_RATE:.2f}-"
                 f"{self.end / SAMPLE_RATE:.2f} s"]
        if self.context:
            parts.append(f"{self.context / SAMPLE_RATE:.1f} s context")
        if self.request.beam_size > 1:
            parts.append(f"beam {self.request.beam_size}")
        elif self.kind == FINAL:
            parts.append("greedy")
        if self.rung and self.kind == FINAL:
            parts.append(f"rung {self.rung}")
        return ", ".join(parts)

    @property
    def offset(self) -> float:
        """Stream time (s) of the request audio's first sample."""
        return (self.start - self.context - self.lead) / SAMPLE_RATE


class Pending(NamedTuple):
    """Work a client has for the model: what kind, how long it has waited, how much audio it is."""

    kind: str  # FINAL or PARTIAL
    since: float  # monotonic time the work became due (see Stream.pending)
    seconds: float = 0.0  # audio the window would hold if taken now, replayed context included


@dataclass
class Update:
    """What one model answer changed, ready to be sent."""

    completed: list[Segment] = field(default_factory=list)  # newly committed, in order
    partial: list[Segment] = field(default_factory=list)  # the current in-progress hypothesis
    language: Optional[tuple[str, float]] = None  # set once, when the language was detected

    @property
    def empty(self) -> bool:
        return not self.completed and not self.partial and self.language is None


def window_request(config: StreamConfig, kind: str, audio: np.ndarray, language: Optional[str],
                   context: float, completed: list[Segment], start: float, go_on: bool = True,
                   most_beam: Optional[int] = None) -> Request:
    """The model request for a window of ``kind`` starting at ``start`` (s of the stream) whose ``audio``
    begins with ``context`` seconds of replayed committed speech (and any lead-in before it); ``completed``
    are the segments committed so far.

    Partial windows, and finals with ``final_beam_size`` 1, are decoded greedily (a final with context then
    asks for word timestamps, to split the answer where the context ends: final_context.py).
    Above 1, a final is decoded as offline Whisper decodes, with beam search; with context the model goes on
    from the context's end (``Request.decode_from``), conditioned on the committed text before the window
    (after the client's own prompt); without context from the window's start. The backend sizes the encoder
    input to the audio (whisper_live/transcriber/encoder_input.py). Going on from its context, such a
    final also starts its answer with the last committed segment (``Request.prefix``), so that the
    model goes on with that sentence where the previous final window stopped; unless ``go_on`` is False
    (such an answer for this window was refused: then the segment stays at the end of the prompt).
    ``most_beam`` (the quality ladder's rung, when the model is behind: whisper_live/ladder.py) narrows a
    final's beam; at 1 such a final is decoded greedily, still going on from its context.
    """
    thorough = kind == FINAL and config.final_beam_size > 1
    beam_size = config.final_beam_size if most_beam is None else max(1, min(most_beam, config.final_beam_size))
    prompt, decode_from, prefix = config.initial_prompt, 0.0, None
    if thorough and context:
        # (10 ms of slack: the window's start is a sample count, the segment ends floats)
        prompt, prefix = final_context.prompt_and_prefix(completed, start + 0.01, start - context,
                                                         config.initial_prompt, go_on)
        decode_from = context
    return Request(audio=audio, language=language, task=config.task, initial_prompt=prompt,
                   hotwords=config.hotwords, no_speech_thresh=config.no_speech_thresh,
                   word_timestamps=config.word_timestamps or config.word_times_for_speakers or (
                       context > 0 and not decode_from),
                   beam_size=beam_size if thorough else 1,
                   full_window=thorough and not decode_from, decode_from=decode_from, prefix=prefix,
                   final=kind == FINAL)
