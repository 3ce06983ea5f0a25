"""The cut rules of whisper_live/streaming/cuts.py on hand-made VAD frames."""

from whisper_live.streaming.cuts import bounded_cut, overlaps_speech, snap_to_pause, speech_end, without_repeat
from whisper_live.protocol import SAMPLE_RATE, Segment

FRAME = 512


def frames(probabilities):
    return [(i * FRAME, p) for i, p in enumerate(probabilities)]


def test_a_cut_moves_to_the_quietest_frame_within_reach():
    probs = [0.9] * 100
    probs[40] = 0.1  # a pause 40 frames in (1.28 s)
    target = 38 * FRAME  # Whisper's timestamp, 64 ms off
    cut = snap_to_pause(frames(probs), FRAME, target, 0, 100 * FRAME, quiet_below=0.35)
    assert cut == 40 * FRAME + FRAME // 2


def test_no_cut_where_every_frame_in_reach_is_speech():
    probs = [0.9] * 100
    probs[80] = 0.0  # a pause, but 1.3 s away from the timestamp
    assert snap_to_pause(frames(probs), FRAME, 38 * FRAME, 0, 100 * FRAME, quiet_below=0.35) is None
    # nor at a quiet frame outside the window
    assert snap_to_pause(frames(probs), FRAME, 80 * FRAME, 0, 60 * FRAME, quiet_below=0.35) is None


def test_a_cut_always_moves_the_next_window_on_by_a_second():
    assert bounded_cut(100, 0, 10 * SAMPLE_RATE) == SAMPLE_RATE
    assert bounded_cut(3 * SAMPLE_RATE, 0, 10 * SAMPLE_RATE) == 3 * SAMPLE_RATE
    assert bounded_cut(12 * SAMPLE_RATE, 0, 10 * SAMPLE_RATE) == 10 * SAMPLE_RATE


def test_a_segment_over_frames_all_heard_as_non_speech_is_not_speech():
    probs = [0.9] * 50 + [0.05] * 20  # speech for 1.6 s, then 0.64 s of breath
    assert not overlaps_speech(frames(probs), FRAME, 1.65, 2.2, threshold=0.5)
    assert overlaps_speech(frames(probs), FRAME, 1.4, 2.2, threshold=0.5)
    assert overlaps_speech(frames(probs), FRAME, 5.0, 6.0, threshold=0.5)  # not judged yet: kept


def test_words_repeated_from_before_a_cut_are_dropped_once():
    segment = Segment(start=2.0, end=4.0, text=" movable types. It is of the first")
    assert without_repeat(segment, " composed to form movable types.").text == " It is of the first"
    assert without_repeat(segment, " composed to form letterpress.").text == segment.text
    only_repeat = Segment(start=2.0, end=2.5, text=" types.")
    assert without_repeat(only_repeat, " movable types.").text == ""


def test_a_window_takes_the_quiet_audio_before_it_as_lead_in_but_not_the_end_of_the_last_word():
    from whisper_live.streaming.cuts import LEAD_MARGIN_SECONDS, quiet_lead

    probs = [0.9] * 20 + [0.0] * 20 + [0.9] * 10  # speech, 0.64 s of pause, speech
    start = 40 * FRAME  # the window starts where the speech does
    assert quiet_lead(frames(probs), start, 3200, quiet_below=0.35) == 3200  # the whole 200 ms allowed
    # a short pause: only what lies LEAD_MARGIN_SECONDS past the last speech frame
    probs = [0.9] * 20 + [0.0] * 6 + [0.9] * 10
    start = 26 * FRAME
    assert quiet_lead(frames(probs), start, 3200, quiet_below=0.35) == 6 * FRAME - int(LEAD_MARGIN_SECONDS * SAMPLE_RATE)
    # speech right before the start (a cut inside speech): no lead-in
    assert quiet_lead(frames([0.9] * 30), 20 * FRAME, 3200, quiet_below=0.35) == 0


def test_speech_ends_after_the_last_frame_not_heard_as_quiet():
    probs = [0.9] * 30 + [0.3] * 5 + [0.1] * 20  # speech, fading out, then quiet
    assert speech_end(frames(probs), FRAME, 10 * FRAME, 55 * FRAME, quiet_below=0.2) == 35 * FRAME
    assert speech_end(frames(probs), FRAME, 10 * FRAME, 20 * FRAME, quiet_below=0.2) == 20 * FRAME  # at most the end
    assert speech_end(frames(probs), FRAME, 40 * FRAME, 55 * FRAME, quiet_below=0.2) is None  # all quiet
