"""What the model's answer for one window changes in a stream: language, commits, partial text, retries.

:class:`AnswerHandling` is the part of :class:`whisper_live.streaming.Stream` that takes an answer back
(:meth:`~AnswerHandling.apply`): it checks a final window's answer against the context it replayed
(final_context.py), keeps the segments the VAD heard speech under, drops words repeated across a cut in
speech (cuts.py), lets :class:`~whisper_live.streaming.commit.CommitRules` decide what commits, and moves
the stream's ``committed_until`` to the cut.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Callable, Optional

from whisper_live.protocol import SAMPLE_RATE, Segment
from whisper_live.streaming import cuts, final_context
from whisper_live.streaming.commit import CommitRules, Cut
from whisper_live.streaming.config import StreamConfig
from whisper_live.streaming.endpointing import Utterances
from whisper_live.streaming.final_windows import REFINE, PendingFinal, Retry
from whisper_live.streaming.windows import FINAL, PARTIAL, Update, Window
from whisper_live.transcriber.base import Result

log = logging.getLogger(__name__)

__all__ = ["AnswerHandling"]


class AnswerHandling:
    """Turning the model's answers into committed and partial segments (mixed into :class:`Stream`)."""

    # the stream's state this part reads and writes (set up in Stream.__init__)
    config: StreamConfig
    language: Optional[str]
    completed: list[Segment]
    partial: list[Segment]
    in_flight: Optional[Window]
    committed_until: int
    _vad: Optional[object]  # the stream's SpeechDetector
    _clock: Callable[[], float]
    _has_room: Callable[[], bool]
    _utterances: Utterances
    _final: Optional[PendingFinal]
    _final_due: bool
    _served_until: int
    _rules: CommitRules
    _last_cut: Cut
    _retry: Optional[Retry]

    if TYPE_CHECKING:  # the stream's own methods this part calls
        def _advance_committed(self, sample: int) -> None: ...
        def _after_cut_in_speech(self, start: int) -> bool: ...
        def _trim(self) -> None: ...

    def apply(self, window: Window, result: Result) -> Update:
        """Turn the model's answer for ``window`` into committed and partial segments."""
        if self.in_flight is window:
            self.in_flight = None
        update = Update()
        if result.language and self.language is None and (
                window.kind == FINAL or len(window.request.audio) >= 2 * SAMPLE_RATE):
            self.language = result.language
            update.language = (result.language, float(result.language_prob or 0.0))
        segments = [Segment(start=s.start, end=s.end, text=s.text, words=s.words) for s in result.segments]
        if window.context:
            check = final_context.check_continuation if window.request.decode_from else \
                final_context.split_after_context
            segments = check(segments, window.context / SAMPLE_RATE, window.context_text,
                             self._heard_seconds(window.start, window.end))
            if segments is None:  # ask for the same final window again: without the prefix, then without context
                self._retry = Retry.after_refusal(window.start, had_prefix=window.request.prefix is not None)
                log.debug("%s: the answer does not go on from the context; again without %s", window.describe(),
                          "the prefix" if window.request.prefix else "context")
                return update
        segments = [s.shifted(window.offset, keep_words=self.config.word_timestamps or self.config.word_times_for_speakers) for s in segments]
        segments = [s for s in segments if self._overlaps_speech(s)]
        if self._after_cut_in_speech(window.start) and segments and self.completed:
            segments[0] = cuts.without_repeat(segments[0], " ".join(s.text for s in self.completed[-2:]))
        decision = self._rules.decide(segments, final=window.kind == FINAL, forced=window.forced,
                                      start=window.start, end=window.end, committed_until=self.committed_until,
                                      refining=window.reason == REFINE,
                                      refine=lambda cut: self._may_refine(window, cut))
        if decision.refine_until is not None:
            self._final = PendingFinal(decision.refine_until, self._clock(), REFINE)
            log.debug("%s: agreed text up to %.2f s is decoded again as a final", window.describe(),
                      decision.refine_until / SAMPLE_RATE)
        rest = segments[len(decision.commit):]
        if decision.commit:
            update.completed = self._commit(decision.commit)
        if decision.cut > self.committed_until:
            self._advance_committed(decision.cut)
            self._last_cut = Cut(decision.cut, decision.in_speech)
            self._rules.reset()
        self._served_until = max(self._served_until, self.committed_until)
        self.partial = [s for s in rest if s.end > self.committed_until / SAMPLE_RATE] \
            if window.kind == PARTIAL else []
        update.partial = list(self.partial)
        self._trim()
        return update

    def _may_refine(self, window: Window, cut: int) -> bool:
        """Whether agreed text up to ``cut`` becomes a final window instead of committing as greedy text.

        Only with offline-style finals, and only while the model keeps up: the audio at the cut arrived at
        most ``refine_agreed_within`` seconds ago (the window's end arrived about when it was taken), and
        the model has room for the extra final (``has_room``).
        """
        cfg = self.config
        if cfg.final_beam_size <= 1 or cfg.refine_agreed_within <= 0 or self._final_due:
            return False
        age = self._clock() - window.taken_at + (window.end - cut) / SAMPLE_RATE
        return age <= cfg.refine_agreed_within and self._has_room()

    def _snap_to_pause(self, sample: int, start: int, end: int) -> Optional[int]:
        """A quiet place near ``sample`` in [start, end) to cut at (cuts.py); without
        VAD, ``sample``."""
        return sample if self._vad is None else self._utterances.pause_near(sample, start, end)

    def _heard_seconds(self, start: int, end: int) -> float:
        """Seconds from ``start`` to the end of the last speech the VAD heard before ``end``: a final window
        ends some way into the pause that ended its utterance, and words are counted against the speech."""
        heard = None if self._vad is None else self._utterances.speech_end_in(start, end)
        return ((end if heard is None else heard) - start) / SAMPLE_RATE

    def _overlaps_speech(self, segment: Segment) -> bool:
        """Whether the VAD heard speech under ``segment`` (always True without VAD)."""
        return self._vad is None or self._utterances.heard_speech(segment.start, segment.end)

    def _commit(self, segments: list[Segment]) -> list[Segment]:
        done = []
        last_end = self.completed[-1].end if self.completed else 0.0
        for s in segments:
            text = s.text
            if not text.strip():
                continue
            start = max(s.start, last_end)
            end = max(s.end, start)
            seg = Segment(start=start, end=end, text=text, completed=True, words=s.words)
            self.completed.append(seg)
            done.append(seg)
            last_end = end
        if len(self.completed) > 1000:  # the client has the history; keep what "last n" can repeat
            del self.completed[:-1000]
        return done
