"""Where utterances begin and end, from the VAD's speech probability for each frame.

Pure bookkeeping over sample positions, so that the stream (stream.py) only decides
what an onset or an end means for its buffer and windows. A frame is speech when its probability reaches
the threshold; an utterance goes on while frames stay above ``threshold - 0.15`` and ends after a pause
that shrinks as the utterance grows (adaptive endpointing, docs/streaming.md):

* under 1.75 s: the full ``min_silence_duration_ms`` (500 ms by default);
* under 6 s: 60% of it;
* under 8 s: 40% of it, or 30% while the model is behind (the stream then passes :data:`BUSY_SCHEDULE`);
* beyond: 30% of it.

Continuous speech such as reading rarely pauses 500 ms but does pause 150-300 ms between phrases; ending
there keeps windows short (finals come fast) and still cuts in silence.
"""

from __future__ import annotations

import collections
from typing import Callable, Iterable, Iterator, Optional

from whisper_live.streaming import cuts
from whisper_live.protocol import SAMPLE_RATE, VadParameters

ONSET, END = "onset", "end"
# (utterance shorter than s, fraction of min_silence_duration_ms).
# The first step trades accuracy against the latency of a short phrase: below it, a phrase and the speech
# after a short pause are one window, which Whisper transcribes better than the phrase alone, but a phrase
# Whisper writes as a sentence of its own then waits for the end of what follows (a step of 2 s made "in being
# comparatively modern." wait for the whole sentence after it). From 6 s to 8 s a 200 ms pause: fewer cuts
# between phrases, so Whisper hears more of a sentence in one final window; beyond 8 s 150 ms, so that a long
# utterance does not wait, under load, for agreement between partial answers that come slowly. While the
# model is behind (final windows served late), 150 ms from 6 s on, so that their final windows stay short.
# The measurements behind each step: docs/streaming.md, "Endpointing".
DEFAULT_SCHEDULE = ((1.75, 1.0), (6.0, 0.6), (8.0, 0.4), (float("inf"), 0.3))
BUSY_SCHEDULE = ((1.75, 1.0), (6.0, 0.6), (float("inf"), 0.3))
OFFSET = 0.15  # an utterance goes on while frames stay above threshold - OFFSET
FRAMES_KEPT = 1024  # frame probabilities remembered (32 s of 32 ms frames) for cuts near recent audio


class Utterances:
    """The open utterance of one stream and the frames judged so far.

    ``start`` is the first sample of the open (or last) utterance; the caller may move it when it learns
    of an onset (:meth:`begin_at`: to keep the speech pad, or not to reach into audio already transcribed).
    ``continuous``: there is no VAD, the whole stream is one utterance (:meth:`heard_until` extends it).
    The attributes are read by the caller and written only here.
    """

    def __init__(self, vad: VadParameters, frame_samples: int, schedule: tuple = DEFAULT_SCHEDULE,
                 busy_schedule: Optional[tuple] = None, continuous: bool = False):
        self.threshold = vad.threshold
        self.quiet_below = max(0.0, vad.threshold - OFFSET)
        self.base_silence = vad.min_silence_duration_ms * SAMPLE_RATE / 1000
        self.frame_samples = frame_samples
        self.idle_schedule = schedule  # while the model has room
        self.busy_schedule = schedule if busy_schedule is None else busy_schedule  # while it is behind
        self.schedule = schedule  # the one in use
        self.frames: collections.deque = collections.deque(maxlen=FRAMES_KEPT)  # (first sample, probability)
        self.judged = 0  # samples the VAD has judged
        self.in_speech = continuous
        self.start = 0
        self.speech_end = 0  # end of the last speech frame
        self.speech_samples = 0  # speech frames in the open utterance, in samples

    def feed(self, probs: Iterable[float], busy: Callable[[], bool] = lambda: False) -> Iterator[tuple[str, int]]:
        """Judge the next frames; yields (ONSET, first sample of the frame) and (END, sample where the pause
        was long enough). A generator: the caller reacts to an onset (and may move ``start``) before the
        next frame is judged.

        ``busy``: whether the model is behind, asked when an utterance is open as the frames come (the
        schedules differ only for long utterances: one that starts during this call has time).
        """
        if self.in_speech:
            self.schedule = self.busy_schedule if busy() else self.idle_schedule
        for p in probs:
            first, end = self.judged, self.judged + self.frame_samples
            self.judged = end
            self.frames.append((first, float(p)))
            if p >= self.threshold or (self.in_speech and p >= self.quiet_below):
                if not self.in_speech:
                    self.in_speech = True
                    self.start = first
                    self.speech_samples = 0
                    yield ONSET, first
                self.speech_end = end
                self.speech_samples += self.frame_samples
            elif self.in_speech and end - self.speech_end >= self.pause_needed():
                self.in_speech = False
                yield END, end

    def begin_at(self, sample: int) -> None:
        """The open utterance starts at ``sample`` (the caller's answer to an onset)."""
        self.start = sample

    def skip_to(self, sample: int) -> None:
        """The audio before ``sample`` is gone: the utterance starts there at the earliest."""
        self.start = max(self.start, sample)

    def heard_until(self, sample: int) -> None:
        """Without a VAD: the speech goes on to ``sample``."""
        self.speech_end = sample

    def close(self) -> None:
        """The stream ended: no utterance is open any more."""
        self.in_speech = False

    def pause_needed(self) -> float:
        """Samples of quiet that end the open utterance, by its length so far."""
        length = (self.speech_end - self.start) / SAMPLE_RATE
        for shorter_than, fraction in self.schedule:
            if length < shorter_than:
                return self.base_silence * fraction
        return self.base_silence

    # --- what the frames say about a place in the stream (cuts.py) ---------------------------

    def pause_near(self, sample: int, start: int, end: int) -> Optional[int]:
        """A quiet place near ``sample`` in [start, end) to cut at; None when there is none within reach."""
        return cuts.snap_to_pause(self.frames, self.frame_samples, sample, start, end, quiet_below=self.quiet_below)

    def speech_end_in(self, start: int, end: int) -> Optional[int]:
        """The end of the last frame in [start, end) not heard as quiet; None when there is none."""
        return cuts.speech_end(self.frames, self.frame_samples, start, end, self.quiet_below)

    def heard_speech(self, start_s: float, end_s: float) -> bool:
        """Whether any frame in [start_s, end_s] (seconds) was heard as speech (True with no frame there)."""
        return cuts.overlaps_speech(self.frames, self.frame_samples, start_s, end_s, self.threshold)

    def quiet_lead(self, start: int, max_lead: int) -> int:
        """Samples of quiet audio just before ``start``, at most ``max_lead``, a window may take as lead-in."""
        return cuts.quiet_lead(self.frames, start, max_lead, self.quiet_below)
