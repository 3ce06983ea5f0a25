"""The window a stream has due now: its kind, its span, the committed speech it replays; handing it out.

:class:`WindowPlanning` is the part of :class:`whisper_live.streaming.Stream` that answers the scheduler:
:meth:`~WindowPlanning.pending` says whether (and since when) the stream has work for the model,
:meth:`~WindowPlanning.take_window` hands out that one window. Both go through one plan
(:class:`WindowPlan`), so what is reported is what is handed out. The state it reads is the stream's
(stream.py); it writes only ``in_flight``, how far windows have been handed out, and which arrival
times those windows have covered.
"""

from __future__ import annotations

import collections
from typing import TYPE_CHECKING, Callable, NamedTuple, Optional

from whisper_live.protocol import SAMPLE_RATE, Segment
from whisper_live.streaming import final_context
from whisper_live.streaming.buffer import AudioBuffer
from whisper_live.streaming.config import StreamConfig
from whisper_live.streaming.endpointing import Utterances
from whisper_live.streaming.final_windows import PendingFinal, Retry, Step, step_at
from whisper_live.streaming.windows import FINAL, PARTIAL, Pending, Window, window_request

if TYPE_CHECKING:
    from whisper_live.ladder import Rung

__all__ = ["WindowPlan", "WindowPlanning"]


class WindowPlan(NamedTuple):
    """The span of the window due now (forced: cut at max_window) and the committed speech it replays."""

    kind: str
    start: int
    end: int
    forced: bool
    context: int  # samples before ``start``
    context_text: str


class WindowPlanning:
    """Which window a stream has due now, and handing it out (mixed into :class:`Stream`)."""

    # the stream's state this part reads (set up in Stream.__init__)
    config: StreamConfig
    language: Optional[str]
    completed: list[Segment]
    received: int
    ended: bool
    in_flight: Optional[Window]
    committed_until: int
    _vad: Optional[object]  # the stream's SpeechDetector
    _clock: Callable[[], float]
    _buffer: AudioBuffer
    _arrivals: collections.deque
    _utterances: Utterances
    _final: Optional[PendingFinal]
    _final_due: bool
    _served_until: int
    _retry: Optional[Retry]
    _pad: int
    _context_seconds: float

    if TYPE_CHECKING:  # the stream's own methods this part calls
        def _after_cut_in_speech(self, start: int) -> bool: ...

    def _window_start(self) -> int:
        start = self.committed_until
        if self._vad is not None:
            if self._final_due:
                return max(start, self._buffer.start)
            start = max(start, self._utterances.start)
        return max(start, self._buffer.start)

    def pending(self) -> Optional[Pending]:
        """(kind, waiting since, seconds of audio) when the model has work for this client, else None.

        "waiting since" is, for a final window, the monotonic time the end of the utterance was confirmed;
        for a partial window, the time the oldest audio not yet covered by a window arrived.
        """
        plan = self._plan()
        if plan is None:
            return None
        kind, seconds = plan.kind, (plan.end - plan.start + plan.context) / SAMPLE_RATE
        if kind == FINAL:
            return Pending(kind, self._final.since, seconds)
        while len(self._arrivals) > 1 and self._arrivals[0][0] <= self._served_until:
            self._arrivals.popleft()
        since = self._arrivals[0][1] if self._arrivals else self._clock()
        return Pending(kind, since, seconds)

    def _due_kind(self) -> Optional[str]:
        """FINAL or PARTIAL when a window is due now, else None."""
        if self.in_flight is not None:
            return None
        if self._final_due:
            return FINAL
        if self._utterances.in_speech and not self.ended:
            new_speech = self._utterances.speech_end - max(self._served_until, self._window_start())
            if new_speech >= self.config.partial_step * SAMPLE_RATE:
                return PARTIAL
        return None

    def take_window(self, rung: Optional["Rung"] = None) -> Optional[Window]:
        """Hand out the next window (at most one is in flight); None when there is nothing to do.

        ``rung``: how thoroughly the runner has finals decoded now (the quality ladder's rung, lower while
        the model is behind: whisper_live/ladder.py): a final window then replays at most its
        ``final_context`` seconds of context and is decoded with a beam of at most its ``final_beam_size``.
        """
        plan = self._plan(rung)
        if plan is None:
            return None
        kind, start, end, context = plan.kind, plan.start, plan.end, plan.context
        lead = self._silent_lead(start) if kind == FINAL and not context and not self._after_cut_in_speech(start) \
            else 0
        audio = self._buffer.samples(start - context - lead, end)
        request = window_request(self.config, kind, audio, self.language, context / SAMPLE_RATE, self.completed,
                                 start / SAMPLE_RATE, go_on=step_at(self._retry, start) == Step.GO_ON,
                                 most_beam=rung.final_beam_size if rung is not None else None)
        self.in_flight = Window(kind=kind, start=start, end=end, request=request, forced=plan.forced,
                                context=context, context_text=plan.context_text, lead=lead, taken_at=self._clock(),
                                reason=self._final.reason if kind == FINAL else "")
        self._served_until = max(self._served_until, end)
        return self.in_flight

    def _plan(self, rung: Optional["Rung"] = None) -> Optional[WindowPlan]:
        """The window that is due now, if any: what :meth:`pending` reports and :meth:`take_window` hands out."""
        kind = self._due_kind()
        if kind is None:
            return None
        start = self._window_start()
        end = self._final.end if kind == FINAL else self.received
        max_samples = int(self.config.max_window * SAMPLE_RATE)
        forced = end - start > max_samples
        if forced:
            end = start + max_samples
        context, context_text = self._context(kind, start, end, forced,
                                              rung.final_context if rung is not None else None)
        return WindowPlan(kind, start, end, forced, context, context_text)

    def _context(self, kind: str, start: int, end: int, forced: bool,
                 most: Optional[float] = None) -> tuple[int, str]:
        """(samples, text) of committed speech a window [start, end) replays before ``start``: finals only,
        ``most`` seconds at most (None: as configured)."""
        if kind == FINAL and not forced and step_at(self._retry, start) < Step.NO_CONTEXT:
            seconds = final_context.context_budget(self._context_seconds, (end - start) / SAMPLE_RATE,
                                                   continued=self.config.final_beam_size > 1, most=most)
            return final_context.context_for(self.completed, start, self._buffer.start, seconds)
        return 0, ""

    def _silent_lead(self, start: int) -> int:
        """Samples of quiet audio just before ``start`` to include in a window (cuts.py)."""
        if self._vad is None:
            return 0
        return self._utterances.quiet_lead(start, min(self._pad, start - self._buffer.start))

    def cancel(self, window: Window) -> None:
        """The window could not be transcribed (model error): forget it so the work is asked for again."""
        if self.in_flight is window:
            self.in_flight = None
