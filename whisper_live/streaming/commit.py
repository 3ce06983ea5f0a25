"""Which segments of a model answer to commit now, why, and where the next window then starts.

Pure decisions over sample positions of the stream, kept apart from the buffer and the VAD that
:class:`whisper_live.streaming.Stream` owns; :meth:`CommitRules.decide` is the one place that
says whether a segment commits. Three cases:

* A final window (an utterance that ended at a pause): commit every segment; the next window starts at
  the window's end, which lies in silence.
* A forced window (cut at ``max_window`` inside speech): commit all but the last segment, which may be
  cut off mid-word; the next window starts at a pause near that segment's end, or at the end itself.
* A partial window: commit the leading segments two consecutive answers agree on
  (agreement.py), once the window is ``agreement_after`` seconds long, and only where a pause
  lies near their end, a second or more into the window; past ``agreement_in_speech_after`` seconds a
  cut inside speech is allowed too (a reader can go many seconds without a pause, and waiting for the
  final would cost that much latency: docs/streaming.md, "Agreement: long utterances commit early"). With
  finals decoded offline-style, agreed text whose audio is still young is not committed as the greedy
  partials gave it: the stream decodes it again as a final window first (``Decision.refine_until``).

Every cut moves the next window on by at least a second (cuts.py).
"""

from __future__ import annotations

from typing import Callable, NamedTuple, Optional

from whisper_live.streaming import cuts
from whisper_live.streaming.agreement import Agreement
from whisper_live.protocol import SAMPLE_RATE, Segment

# pause_near(sample, window_start, window_end): a quiet sample near ``sample`` inside the window, or None
PauseFinder = Callable[[int, int, int], Optional[int]]


# Why a decision commits what it commits (Decision.why).
WHOLE_FINAL = "final window"  # an utterance's final window: all of it
MAX_WINDOW = "max_window"  # a window cut inside speech: all but its last segment
AGREED_AT_PAUSE = "agreed, at a pause"
AGREED_IN_SPEECH = "agreed, in speech"  # past agreement_in_speech_after, cut at Whisper's timestamp
DECODE_AGAIN = "agreed, decoded again first"  # nothing commits yet: the agreed audio becomes a final window
NOT_YET = "nothing agreed"

# refine(cut): whether agreed text up to sample ``cut`` is decoded again as a final before it commits
RefineTest = Callable[[int], bool]


class Decision(NamedTuple):
    """What an answer commits now, why, and where the next window starts."""

    commit: list[Segment]
    cut: int  # where the next window starts: the answer's committed_until when nothing moves
    why: str
    in_speech: bool = False  # the cut lies inside speech (see Cut)
    refine_until: Optional[int] = None  # DECODE_AGAIN: the agreed audio up to here awaits a final window


class Cut(NamedTuple):
    """Where a commit ended the committed audio, and whether inside speech (agreement, max_window): a window
    starting there may repeat the words just before it, and gets no lead-in."""

    at: int
    in_speech: bool


class CommitRules:
    """The commit decision for one stream; holds the agreement state between partial answers."""

    def __init__(self, *, agreement_after: float, agreement_in_speech_after: float, repeats_needed: int,
                 pause_near: PauseFinder, with_vad: bool):
        self.agreement_after = agreement_after
        self.agreement_in_speech_after = agreement_in_speech_after
        self.pause_near = pause_near
        # without VAD no pause ever ends an utterance: agreement is the only way to commit, from any window
        self.with_vad = with_vad
        self.agreement = Agreement(repeats_needed)

    def reset(self) -> None:
        """A new utterance, or a commit: the next partial answer is compared with nothing."""
        self.agreement.reset()

    def decide(self, segments: list[Segment], *, final: bool, forced: bool, start: int, end: int,
               committed_until: int, refining: bool = False, refine: Optional[RefineTest] = None) -> Decision:
        """What to commit of an answer about [start, end), and where the next window starts.

        ``segments`` carry stream times in seconds. Nothing to commit gives ``committed_until`` back.
        ``refining``: the window is a final decoding agreed text again, whose end lies in speech.
        ``refine``: asked of what a partial window agrees on (see RefineTest); None: never.
        """
        if final and not forced:
            commit, cut, why = segments, end, WHOLE_FINAL
        elif forced:
            commit = segments[:-1] if len(segments) > 1 else segments
            cut, why = self._cut_after(commit, start, end), MAX_WINDOW
        else:
            commit, cut, why = self._agreed(segments, start, end, committed_until)
            if commit and refine is not None and refine(cut):
                return Decision([], committed_until, DECODE_AGAIN, refine_until=cut)
        in_speech = cut < end or not final or (refining and cut == end)
        return Decision(commit, cut, why, in_speech)

    def _cut_after(self, commit: list[Segment], start: int, end: int) -> int:
        if not commit:
            return end
        sample = int(round(commit[-1].end * SAMPLE_RATE))
        cut = self.pause_near(sample, start, end)
        return cuts.bounded_cut(sample if cut is None else cut, start, end)

    def _agreed(self, segments: list[Segment], start: int, end: int,
                committed_until: int) -> tuple[list[Segment], int, str]:
        """LocalAgreement-2 on segments: commit the leading ones this answer shares with the previous one."""
        long_enough = end - start >= self.agreement_after * SAMPLE_RATE
        agreed = self.agreement.update(segments, judge=not self.with_vad or long_enough,
                                       last_too=not self.with_vad)
        # commit the most agreed segments whose end lies at a pause the VAD heard, a second or more into the
        # window (moved on by a second instead, the next window could start inside a word)
        for n in range(agreed, 0, -1):
            cut = self.pause_near(int(round(segments[n - 1].end * SAMPLE_RATE)), start, end)
            if cut is not None and cut == cuts.bounded_cut(cut, start, end):
                return segments[:n], cut, AGREED_AT_PAUSE
        if agreed and end - start >= self.agreement_in_speech_after * SAMPLE_RATE:
            # no pause in reach: cut at Whisper's timestamp; the next window's repeated words are dropped
            commit = segments[:agreed]
            return commit, cuts.bounded_cut(int(round(commit[-1].end * SAMPLE_RATE)), start, end), AGREED_IN_SPEECH
        return [], committed_until, NOT_YET
