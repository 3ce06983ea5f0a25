"""Utterance boundaries from frame probabilities: onsets, the adaptive pause, the hysteresis."""

from whisper_live.protocol import SAMPLE_RATE, VadParameters
from whisper_live.streaming.endpointing import BUSY_SCHEDULE, END, ONSET, Utterances

FRAME = 512  # 32 ms


def frames(seconds: float, p: float) -> list[float]:
    return [p] * round(seconds * SAMPLE_RATE / FRAME)


def events(utterances: Utterances, probs: list[float]) -> list[tuple[str, float]]:
    return [(kind, round(sample / SAMPLE_RATE, 3)) for kind, sample in utterances.feed(probs)]


def make(**vad) -> Utterances:
    return Utterances(VadParameters(**vad), FRAME)


def test_an_utterance_starts_at_its_first_speech_frame_and_ends_after_the_pause():
    u = make()
    found = events(u, frames(1.0, 0.0) + frames(1.0, 0.9) + frames(1.0, 0.0))
    # speech from frame 31 (0.992 s) to 1.984 s; under 1.75 s the full 500 ms pause is needed, which the
    # 16th quiet frame of 32 ms completes: 1.984 + 0.512
    assert found == [(ONSET, 0.992), (END, 2.496)]
    assert not u.in_speech and u.speech_samples == 31 * FRAME


def test_the_pause_that_ends_an_utterance_shrinks_as_it_grows():
    u = make()
    assert events(u, frames(3.0, 0.9) + frames(0.25, 0.0)) == [(ONSET, 0.0)]  # 3 s long: 300 ms needed
    assert events(u, frames(0.1, 0.0)) == [(END, 3.328)]
    u = make()
    found = events(u, frames(7.0, 0.9) + frames(0.25, 0.0))  # 7 s long: 200 ms needed
    assert found == [(ONSET, 0.0), (END, 7.232)]
    u = Utterances(VadParameters(), FRAME, BUSY_SCHEDULE)
    found = events(u, frames(7.0, 0.9) + frames(0.25, 0.0))  # 150 ms while the model is behind
    assert found == [(ONSET, 0.0), (END, 7.168)]
    u = make()
    found = events(u, frames(9.0, 0.9) + frames(0.25, 0.0))  # 9 s long: 150 ms, model behind or not
    assert found == [(ONSET, 0.0), (END, 9.152)]


def test_frames_between_the_two_thresholds_continue_but_do_not_start_speech():
    u = make(threshold=0.5)
    assert events(u, frames(1.0, 0.4)) == []  # above 0.35, below 0.5: no onset
    found = events(u, frames(0.5, 0.9) + frames(0.75, 0.4) + frames(1.0, 0.1))
    # the 0.4 frames kept the utterance open: its speech ends at 2.24 s, not 1.504 s, then (1.25 s long, under
    # 1.75 s) 500 ms of quiet
    assert found == [(ONSET, 0.992), (END, 2.752)]


def test_the_caller_may_move_the_start_at_an_onset_and_the_pause_follows_it():
    u = make()
    found = []
    for kind, sample in u.feed(frames(1.0, 0.0) + frames(1.3, 0.9) + frames(0.35, 0.0)):
        found.append(kind)
        if kind == ONSET:
            u.begin_at(sample - SAMPLE_RATE)  # e.g. the caller keeps a second before it
    # 1.3 s of speech counted from a start 1 s earlier is past 1.75 s: 300 ms end it, not 500 ms
    assert found == [ONSET, END]
    assert len(u.frames) == u.judged // FRAME


def test_a_phrase_under_the_first_step_joins_the_speech_after_a_short_pause():
    u = make()
    # 1.6 s of speech and 320 ms of quiet: under 1.75 s the full 500 ms is needed, so the speech after the
    # pause belongs to the same utterance (one window: Whisper hears the phrase with what follows it)
    assert events(u, frames(1.6, 0.9) + frames(0.32, 0.0) + frames(1.0, 0.9)) == [(ONSET, 0.0)]
    u = make()
    # 1.8 s: past the first step, 300 ms of quiet end it
    assert events(u, frames(1.8, 0.9) + frames(0.32, 0.0)) == [(ONSET, 0.0), (END, 2.112)]


def test_while_the_model_is_behind_an_open_utterance_takes_the_busy_schedule():
    u = Utterances(VadParameters(), FRAME, busy_schedule=BUSY_SCHEDULE)
    assert [kind for kind, _ in u.feed(frames(7.0, 0.9), busy=lambda: True)] == [ONSET]  # (no utterance open yet)
    found = [(kind, round(sample / SAMPLE_RATE, 3)) for kind, sample in u.feed(frames(0.25, 0.0), busy=lambda: True)]
    assert found == [(END, 7.168)]  # 150 ms, as BUSY_SCHEDULE says from 6 s on


def test_without_a_vad_the_stream_is_one_utterance_until_it_ends():
    u = Utterances(VadParameters(), 1, continuous=True)
    assert u.in_speech
    u.heard_until(16000)
    assert u.speech_end == 16000 and u.in_speech
    u.skip_to(8000)
    u.skip_to(4000)
    assert u.start == 8000
    u.close()
    assert not u.in_speech
