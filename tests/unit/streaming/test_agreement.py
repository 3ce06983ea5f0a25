"""LocalAgreement-2 over segments, with plain segments."""

from whisper_live.streaming.agreement import Agreement
from whisper_live.protocol import Segment


def segs(*texts):
    return [Segment(start=float(i), end=float(i + 1), text=t) for i, t in enumerate(texts)]


def test_leading_segments_two_answers_give_alike_agree_but_never_the_last():
    a = Agreement(3)
    assert a.update(segs(" One.", " Two"), judge=True, last_too=False) == 0  # nothing to compare with
    assert a.update(segs(" one.", " Two.", " Three"), judge=True, last_too=False) == 1  # case and spaces aside
    assert a.update(segs(" One.", " Two.", " Three."), judge=True, last_too=False) == 2


def test_agreement_stops_at_the_first_difference():
    a = Agreement(3)
    a.update(segs(" A.", " B.", " C.", " D"), judge=True, last_too=False)
    assert a.update(segs(" A.", " X.", " C.", " D."), judge=True, last_too=False) == 1


def test_an_answer_not_judged_is_still_remembered():
    a = Agreement(3)
    assert a.update(segs(" A.", " B"), judge=False, last_too=False) == 0
    assert a.update(segs(" A.", " B."), judge=True, last_too=False) == 1


def test_without_vad_the_last_segment_counts_after_enough_repeats():
    a = Agreement(3)
    answer = segs(" A.", " B.")
    assert a.update(answer, judge=True, last_too=True) == 0
    assert a.update(answer, judge=True, last_too=True) == 1  # the same twice: the last not yet
    assert a.update(answer, judge=True, last_too=True) == 2  # three times in a row
    a.reset()
    assert a.update(answer, judge=True, last_too=True) == 0


def test_a_boundary_moving_back_and_forth_agrees_with_the_answer_before_the_previous():
    # Whisper puts "before" now at the end of the first segment, now at the start of the second
    a = Agreement(3)
    assert a.update(segs(" For centuries before", " the wood"), judge=True, last_too=False) == 0
    assert a.update(segs(" For centuries", " before the wood cutters"), judge=True, last_too=False) == 0
    assert a.update(segs(" For centuries before", " the wood cutters of"), judge=True, last_too=False) == 1
    # the previous answer is asked first: only when it agrees on nothing does the earlier one count
    a.reset()
    a.update(segs(" A.", " B.", " C"), judge=True, last_too=False)
    a.update(segs(" A.", " X.", " C"), judge=True, last_too=False)
    assert a.update(segs(" A.", " B.", " C."), judge=True, last_too=False) == 1


def test_after_a_reset_no_earlier_answer_is_remembered():
    a = Agreement(3)
    a.update(segs(" A.", " B"), judge=True, last_too=False)
    a.update(segs(" X.", " Y"), judge=True, last_too=False)
    a.reset()
    assert a.update(segs(" Z.", " W"), judge=True, last_too=False) == 0
    assert a.update(segs(" A.", " B."), judge=True, last_too=False) == 0
