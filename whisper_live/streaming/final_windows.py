"""The final window a stream awaits, why, and how a refused one is asked for again.

Plain values held by :class:`whisper_live.streaming.Stream`: a :class:`PendingFinal` says that the
speech up to a sample awaits its final window (and why); a :class:`Retry` says that the final window
starting at a sample had its answer refused (final_context.py) and is asked for again one
:class:`Step` down, until it is decoded without context.
"""

from __future__ import annotations

import enum
from typing import NamedTuple, Optional

# Why speech awaits a final window.
PAUSE = "pause"  # an utterance ended at a pause the VAD heard
END_OF_AUDIO = "end of audio"  # the client sent END_OF_AUDIO: what is left is transcribed once more
REFINE = "refine"  # text two partial answers agreed on is decoded again as a final before it commits


class PendingFinal(NamedTuple):
    """Speech up to sample ``end`` awaits its final window, since monotonic time ``since``, for ``reason``."""

    end: int
    since: float
    reason: str


class Step(enum.IntEnum):
    """How a final window with replayed context is asked for; each refusal moves one step down."""

    GO_ON = 0  # its answer starts with the last committed segment (Request.prefix), where the context allows
    CONTEXT_ONLY = 1  # that segment stays at the end of the prompt
    NO_CONTEXT = 2  # no replayed context at all


class Retry(NamedTuple):
    """The final window starting at sample ``start`` is asked for at ``step``."""

    start: int
    step: Step

    @staticmethod
    def after_refusal(start: int, had_prefix: bool) -> Retry:
        """The next try of the window starting at ``start`` whose answer was refused."""
        return Retry(start, Step.CONTEXT_ONLY if had_prefix else Step.NO_CONTEXT)


def step_at(retry: Optional[Retry], start: int) -> Step:
    """The step a final window starting at ``start`` is asked for at."""
    return retry.step if retry is not None and retry.start == start else Step.GO_ON
