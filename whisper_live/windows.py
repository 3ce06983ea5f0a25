"""What a streaming session hands the scheduler, and what the model's answer changed.

:class:`Pending` says that a client has work (and how urgent and how long it is), :class:`Window` is one
model call's worth of a client's audio, :class:`Update` is what applying the answer changed, ready to be
sent. whisper_live/streaming.py makes them; whisper_live/scheduler.py and the server consume them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import NamedTuple, Optional

from whisper_live.protocol import SAMPLE_RATE, Segment
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

    @property
    def offset(self) -> float:
        """Stream time (s) of the request audio's first sample."""
        return (self.start - self.context - self.lead) / SAMPLE_RATE


class Pending(NamedTuple):
    """Work a client has for the model: what kind, how long it has waited, how much audio it is."""

    kind: str  # FINAL or PARTIAL
    since: float  # monotonic time the work became due (see StreamingSession.pending)
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
