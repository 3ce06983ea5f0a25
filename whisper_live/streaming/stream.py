"""One audio stream: its buffer, VAD gating, what is done with, and the commit policy the parts follow.

No sockets and no model here: a :class:`Stream` is fed samples (here), says when it has work for the
model (:meth:`~Stream.pending`) and hands out one audio window at a time (:meth:`~Stream.take_window`,
both in planning.py), and turns the model's answer into transcript updates (:meth:`~Stream.apply`,
answers.py). The server wires it to a WebSocket and to the shared inference scheduler; the tests drive it
with plain arrays and a scripted fake transcriber.

Commit policy (see docs/streaming.md):

* With VAD, speech is cut into utterances at pauses (endpointing.py; while the model is
  behind, ``has_room`` says no and shorter pauses end long utterances). When an utterance ends, its
  whole audio is transcribed once more as a *final* window and every segment of that answer is
  committed (``completed: true``). The cut falls in silence, so no word straddles it.
* While an utterance is still being spoken, *partial* windows (from the utterance start to the newest
  audio) give in-progress text. Partial windows are only asked for when new speech has arrived, and the
  scheduler serves them after finals, so under load they come less often and cover more audio.
* An utterance that runs on without a pause is committed piecewise by agreement (LocalAgreement-2 at
  segment level, agreement.py; the commit decisions are in commit.py):
  leading segments that two consecutive partial answers agree on are committed, and the next window
  starts at their end, moved to a pause the VAD heard near it (a window past
  ``agreement_in_speech_after`` seconds may cut without one). Words the next window repeats from the text
  just committed are dropped (the rules are in cuts.py). A window never exceeds
  ``max_window`` seconds: past that, all but the last segment is committed.
* A final window also hears up to ``speech_pad_ms`` of the quiet audio before its start (a lead-in:
  Whisper mishears a first word that starts right at the window's edge).
* Segments whose whole span the VAD heard as non-speech are dropped (Whisper's words from a breath).
* A final window also carries up to ``final_context`` seconds of the committed speech before it, as
  context (then it needs no lead-in); final_context.py splits the answer.
* With ``final_beam_size`` above 1, final windows are decoded as offline Whisper decodes: beam search,
  conditioned on the committed text before them (a prompt). With context the model starts writing where
  the context ends (``Request.decode_from``), so its text needs no split and the context is not decoded
  again; without, the window is Whisper's whole 30 s one. Text that partial answers agree on is then, while
  the model keeps up (its audio arrived at most ``refine_agreed_within`` seconds before the agreement, and
  ``has_room`` says yes), not committed as the greedy partials gave it: the audio up to the cut becomes a
  final window too.
* Without VAD every sample counts as speech and only agreement commits; the last segment also commits
  once it came out the same ``min(same_output_threshold, 3)`` times in a row.
* After END_OF_AUDIO everything not yet committed is transcribed as a final window.
"""

from __future__ import annotations

import collections
import time
from typing import Callable, Optional, Protocol

import numpy as np

from whisper_live.protocol import SAMPLE_RATE, Segment
from whisper_live.streaming import final_context
from whisper_live.streaming.answers import AnswerHandling
from whisper_live.streaming.buffer import AudioBuffer
from whisper_live.streaming.commit import CommitRules, Cut
from whisper_live.streaming.config import StreamConfig
from whisper_live.streaming.endpointing import ONSET, Utterances
from whisper_live.streaming.final_windows import END_OF_AUDIO, PAUSE, PendingFinal, Retry
from whisper_live.streaming.planning import WindowPlanning
from whisper_live.streaming.windows import FINAL, Window

__all__ = ["SpeechDetector", "Stream"]


class SpeechDetector(Protocol):
    """What a stream needs of a VAD: speech probabilities for each complete frame fed so far."""

    frame_samples: int

    def feed(self, audio: np.ndarray) -> np.ndarray: ...


class Stream(WindowPlanning, AnswerHandling):
    """One audio stream's state. Not thread-safe: the caller serialises access (the server holds a lock).

    Its parts: audio in and what is done with (here), the window due now (:class:`WindowPlanning`,
    planning.py) and what an answer changes (:class:`AnswerHandling`, answers.py)."""

    def __init__(self, config: StreamConfig, vad: Optional[SpeechDetector] = None,
                 clock: Callable[[], float] = time.monotonic, has_room: Callable[[], bool] = lambda: True):
        """``has_room``: whether the model has room for work that only improves accuracy (the server asks
        its scheduler's load meter; alone, the model is taken to be free): decoding agreed text again as a
        final, and waiting for a longer pause to end a long utterance."""
        self.config = config
        self._has_room = has_room
        self._vad = vad
        self._clock = clock
        self._buffer = AudioBuffer()  # the audio still needed, from _buffer.start on
        self.received = 0  # samples received so far
        self._committed_until = 0  # see committed_until; only _advance_committed writes it
        self.language = config.language
        self.completed: list[Segment] = []
        self.partial: list[Segment] = []
        self.ended = False
        self.in_flight: Optional[Window] = None
        self.warnings: list[str] = []
        # utterance boundaries from the VAD (without one, no frame is judged: the stream is one utterance)
        self._utterances = Utterances(config.vad, vad.frame_samples if vad is not None else 1,
                                      config.endpoint_schedule, config.endpoint_schedule_busy,
                                      continuous=vad is None)
        self._final: Optional[PendingFinal] = None  # the speech that awaits a final window (see _final_due)
        self._served_until = 0  # end of the last window handed out
        self._arrivals: collections.deque = collections.deque()  # (end sample, arrival time)
        # what to commit of each answer (agreement between consecutive partial answers among it)
        self._rules = CommitRules(agreement_after=config.agreement_after,
                                  agreement_in_speech_after=config.agreement_in_speech_after,
                                  repeats_needed=min(config.same_output_threshold, 3),
                                  pause_near=self._snap_to_pause, with_vad=vad is not None)
        self._last_cut = Cut(0, in_speech=False)  # where the last commit cut the audio
        self._retry: Optional[Retry] = None  # a final window whose answer was refused, asked for again

    # --- what is done with -----------------------------------------------------------------------------------

    @property
    def committed_until(self) -> int:
        """The sample before which the audio is done with: transcribed for good, or skipped (silence between
        utterances, a click, audio dropped while the server was behind). It only moves forward, and only
        through :meth:`_advance_committed`; a stream never resets it (a new stream starts at 0)."""
        return self._committed_until

    def _advance_committed(self, sample: int) -> None:
        """The one writer of :attr:`committed_until`: the audio before ``sample`` is done with."""
        assert sample >= self._committed_until, f"committed_until moving back: {self._committed_until} -> {sample}"
        self._committed_until = sample

    # --- input ------------------------------------------------------------------------------------------------

    def add_audio(self, samples: np.ndarray) -> None:
        samples = np.asarray(samples, dtype=np.float32)
        if not len(samples) or self.ended:
            return
        self._buffer.append(samples)
        self.received += len(samples)
        self._arrivals.append((self.received, self._clock()))
        if self._vad is not None:
            self._run_vad(samples)
        else:
            self._utterances.heard_until(self.received)
        self._trim()

    def end_of_audio(self) -> None:
        """The client sent END_OF_AUDIO: what is left becomes one last final window."""
        if self.ended:
            return
        self.ended = True
        utterances = self._utterances
        if (utterances.in_speech and utterances.speech_samples >= self.config.min_speech * SAMPLE_RATE) or (
                self._vad is None and self.received > self.committed_until):
            self._final_due_now(self.received, END_OF_AUDIO)
        utterances.close()

    def _final_due_now(self, until: int, reason: str) -> None:
        """Speech up to ``until`` awaits a final window, for ``reason``. A final that already waited for the
        model (not taken yet) keeps its due time, and so its place in the scheduler's queue: under load,
        each utterance that ended before it was taken would otherwise send it to the back again."""
        waiting = self._final_due and (self.in_flight is None or self.in_flight.kind != FINAL)
        self._final = PendingFinal(until, self._final.since if waiting else self._clock(), reason)

    def _run_vad(self, samples: np.ndarray) -> None:
        utterances = self._utterances
        for event, sample in utterances.feed(self._vad.feed(samples), busy=lambda: not self._has_room()):
            if event == ONSET:
                awaited = self._final.end if self._final_due else 0
                utterances.begin_at(max(self.committed_until, awaited, sample - self._pad))
                if not self._final_due:
                    self._advance_committed(utterances.start)  # the silence before it is dropped
                self._rules.reset()
            elif utterances.speech_samples >= self.config.min_speech * SAMPLE_RATE:
                # the window ends where the pause was confirmed: trailing silence helps Whisper finish
                self._final_due_now(sample, PAUSE)
            elif not self._final_due:
                # a click, not speech: forget it
                self._advance_committed(max(self.committed_until, sample))

    def _trim(self) -> None:
        """Keep at most max_buffer seconds; drop what is committed, or skip (with a warning) when behind."""
        keep_from = self.committed_until
        between = not self._utterances.in_speech and not self._final_due
        if self._vad is not None and between:
            # between utterances only the speech pad before a possible onset is worth keeping
            keep_from = max(keep_from, min(self._utterances.judged, self.received) - self._pad)
            self._advance_committed(keep_from)
        limit = self.received - int(self.config.max_buffer * SAMPLE_RATE)
        if keep_from < limit:
            skipped = (limit - max(keep_from, self._buffer.start)) / SAMPLE_RATE
            if skipped > 0:
                self.warnings.append(
                    f"server is behind: skipped {skipped:.1f} s of audio that could not be transcribed in time")
            keep_from = limit
            self._advance_committed(max(self.committed_until, limit))
            self._utterances.skip_to(limit)
            self._served_until = max(self._served_until, limit)
        keep_from = max(final_context.replay_from(self.completed, keep_from, self._context_seconds) - self._pad,
                        limit)
        self._buffer.drop_before(min(keep_from, self.received))

    # --- work for the model ----------------------------------------------------------------------------------

    # --- shared by the parts ----------------------------------------------------------------------------------

    @property
    def _final_due(self) -> bool:
        """Speech not yet committed awaits its final window (``_final``)."""
        return self._final is not None and self._final.end > self.committed_until

    def _after_cut_in_speech(self, start: int) -> bool:
        """Whether a window starting at ``start`` starts where the committed audio was cut inside speech."""
        return self._last_cut.in_speech and start == self._last_cut.at

    @property
    def _pad(self) -> int:
        """The VAD's speech pad, in samples."""
        return int(self.config.vad.speech_pad_ms * SAMPLE_RATE / 1000)

    @property
    def _context_seconds(self) -> float:
        """Seconds of committed speech a final window may replay (final_context.py); 0: none."""
        if self._vad is None or self.config.task != "transcribe":
            # (a translation's word times are too loose to split the answer where the context ends)
            return 0.0
        return max(0.0, self.config.final_context)

    # --- output ----------------------------------------------------------------------------------------------

    def segments_to_send(self, last_n: int) -> list[Segment]:
        return self.completed[-last_n:] + self.partial

    def take_warnings(self) -> list[str]:
        warnings, self.warnings = self.warnings, []
        return warnings

    @property
    def finished(self) -> bool:
        """END_OF_AUDIO was received and everything was transcribed."""
        return self.ended and self.in_flight is None and not self._final_due

    @property
    def buffered_seconds(self) -> float:
        return len(self._buffer) / SAMPLE_RATE
