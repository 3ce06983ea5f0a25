"""What to commit of an answer and where the next window starts, with plain segments and a scripted pause finder."""

from whisper_live.streaming.commit import CommitRules
from whisper_live.protocol import SAMPLE_RATE, Segment

S = SAMPLE_RATE


def segs(*spans):
    """Segments from (start s, end s, text)."""
    return [Segment(start=a, end=b, text=t) for a, b, t in spans]


def rules(pauses=(), with_vad=True, after=4.0, in_speech_after=6.0):
    """CommitRules whose pause finder knows only ``pauses`` (samples) and finds those within 0.3 s."""
    def pause_near(sample, start, end):
        if not with_vad:
            return sample  # as the session does: without VAD any place may be cut
        near = [p for p in pauses if abs(p - sample) <= 0.3 * S and start < p < end]
        return near[0] if near else None
    return CommitRules(agreement_after=after, agreement_in_speech_after=in_speech_after, repeats_needed=3,
                       pause_near=pause_near, with_vad=with_vad)


def decide(r, segments, **facts):
    """(segments committed now, where the next window starts) of r.decide."""
    decision = r.decide(segments, **facts)
    return decision.commit, decision.cut


ANSWER = segs((0.0, 2.0, " One two."), (2.1, 4.0, " Three four."), (4.1, 5.0, " Five"))


def test_a_final_window_commits_every_segment_and_the_next_window_starts_at_its_end():
    commit, cut = decide(rules(), ANSWER, final=True, forced=False, start=0, end=5 * S, committed_until=0)
    assert commit == ANSWER and cut == 5 * S


def test_a_forced_window_keeps_its_last_segment_and_cuts_at_a_pause_near_the_commit():
    commit, cut = decide(rules(pauses=[int(4.05 * S)]), ANSWER, final=True, forced=True, start=0, end=5 * S,
                                                      committed_until=0)
    assert commit == ANSWER[:2] and cut == int(4.05 * S)


def test_a_forced_window_without_a_pause_cuts_at_the_segment_end():
    commit, cut = decide(rules(), ANSWER, final=False, forced=True, start=0, end=5 * S, committed_until=0)
    assert commit == ANSWER[:2] and cut == 4 * S


def test_a_cut_always_moves_the_next_window_on_by_a_second():
    short = segs((0.0, 0.4, " Oh."), (0.5, 3.0, " Then more"))
    commit, cut = decide(rules(), short, final=False, forced=True, start=0, end=3 * S, committed_until=0)
    assert commit == short[:1] and cut == S


def test_partials_commit_what_two_answers_agree_on_at_a_pause():
    r = rules(pauses=[int(2.05 * S)])
    first = segs((0.0, 2.0, " One two."), (2.1, 4.2, " Three"))
    assert decide(r, first, final=False, forced=False, start=0, end=int(4.5 * S), committed_until=0) == ([], 0)
    commit, cut = decide(r, ANSWER, final=False, forced=False, start=0, end=5 * S, committed_until=0)
    assert commit == ANSWER[:1] and cut == int(2.05 * S)


def test_partials_shorter_than_agreement_after_commit_nothing():
    r = rules(pauses=[int(2.05 * S)], after=6.0)
    decide(r, ANSWER, final=False, forced=False, start=0, end=5 * S, committed_until=0)
    assert decide(r, ANSWER, final=False, forced=False, start=0, end=5 * S, committed_until=7) == ([], 7)


def test_agreement_without_a_pause_waits_until_the_window_is_long():
    answer = segs((0.0, 3.0, " One two."), (3.0, 6.5, " Three"))
    r = rules()  # no pause anywhere
    decide(r, answer, final=False, forced=False, start=0, end=5 * S, committed_until=0)
    assert decide(r, answer, final=False, forced=False, start=0, end=int(5.5 * S), committed_until=0) == ([], 0)
    commit, cut = decide(r, answer, final=False, forced=False, start=0, end=int(6.5 * S), committed_until=0)
    assert commit == answer[:1] and cut == 3 * S  # inside speech, at Whisper's timestamp


def test_an_agreed_segment_without_a_pause_after_it_waits():
    r = rules(pauses=[int(2.05 * S)])  # a pause after "One two." but none after "Three four."
    decide(r, ANSWER, final=False, forced=False, start=0, end=5 * S, committed_until=0)
    commit, cut = decide(r, ANSWER, final=False, forced=False, start=0, end=5 * S, committed_until=0)
    assert commit == ANSWER[:1] and cut == int(2.05 * S)


def test_the_most_agreed_segments_with_a_pause_are_committed():
    r = rules(pauses=[int(2.05 * S), int(4.05 * S)])
    decide(r, ANSWER, final=False, forced=False, start=0, end=5 * S, committed_until=0)
    commit, cut = decide(r, ANSWER, final=False, forced=False, start=0, end=5 * S, committed_until=0)
    assert commit == ANSWER[:2] and cut == int(4.05 * S)


def test_an_agreed_pause_within_the_first_second_waits_for_a_later_one():
    # Moved on by a second instead, the next window would start at 1.2 s, inside "two"
    answer = segs((0.2, 0.5, " Oh."), (0.7, 2.0, " One two."), (2.1, 3.0, " Three"))
    r = rules(pauses=[int(0.6 * S), int(2.05 * S)], after=2.5)
    decide(r, answer, final=False, forced=False, start=int(0.2 * S), end=int(2.8 * S), committed_until=0)
    commit, cut = decide(r, answer, final=False, forced=False, start=int(0.2 * S), end=int(2.8 * S),
                         committed_until=0)
    assert commit == answer[:2] and cut == int(2.05 * S)
    r = rules(pauses=[int(0.6 * S)], after=2.5)  # no later pause: nothing commits yet
    decide(r, answer, final=False, forced=False, start=int(0.2 * S), end=int(2.8 * S), committed_until=0)
    assert decide(r, answer, final=False, forced=False, start=int(0.2 * S), end=int(2.8 * S),
                  committed_until=0) == ([], 0)


def test_reset_forgets_the_previous_answer():
    r = rules(pauses=[int(2.05 * S)])
    decide(r, ANSWER, final=False, forced=False, start=0, end=5 * S, committed_until=0)
    r.reset()
    assert decide(r, ANSWER, final=False, forced=False, start=0, end=5 * S, committed_until=0) == ([], 0)


def test_without_vad_any_window_may_commit_and_a_repeated_answer_commits_whole():
    r = rules(with_vad=False, after=10.0)
    answer = segs((0.0, 1.5, " Hello there."), (1.6, 2.5, " Bye."))
    calls = [decide(r, answer, final=False, forced=False, start=0, end=3 * S, committed_until=0) for _ in range(3)]
    assert calls[0] == ([], 0)
    assert calls[1][0] == answer[:1]  # agreed, though the window is shorter than agreement_after
    assert calls[2][0] == answer  # the same answer three times: the last segment too


def test_each_decision_says_why_and_whether_its_cut_lies_in_speech():
    from whisper_live.streaming.commit import AGREED_AT_PAUSE, AGREED_IN_SPEECH, MAX_WINDOW, NOT_YET, WHOLE_FINAL

    final = rules().decide(ANSWER, final=True, forced=False, start=0, end=5 * S, committed_until=0)
    assert (final.why, final.in_speech) == (WHOLE_FINAL, False)
    # a final that decodes agreed text again ends where the agreement was cut, inside speech
    refined = rules().decide(ANSWER, final=True, forced=False, start=0, end=5 * S, committed_until=0, refining=True)
    assert (refined.why, refined.in_speech) == (WHOLE_FINAL, True)
    forced = rules().decide(ANSWER, final=True, forced=True, start=0, end=5 * S, committed_until=0)
    assert (forced.why, forced.in_speech) == (MAX_WINDOW, True)
    r = rules(pauses=[int(2.05 * S)])
    assert r.decide(ANSWER, final=False, forced=False, start=0, end=5 * S, committed_until=0).why == NOT_YET
    agreed = r.decide(ANSWER, final=False, forced=False, start=0, end=5 * S, committed_until=0)
    assert (agreed.why, agreed.in_speech) == (AGREED_AT_PAUSE, True)  # (a partial's cut: words may follow)
    answer = segs((0.0, 3.0, " One two."), (3.0, 6.5, " Three"))
    r = rules()
    r.decide(answer, final=False, forced=False, start=0, end=5 * S, committed_until=0)
    assert r.decide(answer, final=False, forced=False, start=0, end=int(6.5 * S), committed_until=0).why == \
        AGREED_IN_SPEECH


def test_agreed_text_the_session_wants_decoded_again_commits_nothing_yet():
    from whisper_live.streaming.commit import DECODE_AGAIN

    asked = []
    r = rules(pauses=[int(2.05 * S)])
    r.decide(ANSWER, final=False, forced=False, start=0, end=5 * S, committed_until=0, refine=asked.append)
    assert asked == []  # nothing agreed yet: nothing to ask about
    decision = r.decide(ANSWER, final=False, forced=False, start=0, end=5 * S, committed_until=3,
                        refine=lambda cut: asked.append(cut) or True)
    assert asked == [int(2.05 * S)]
    assert decision == (([], 3, DECODE_AGAIN, False, int(2.05 * S)))
    # finals are never decoded again, and a refusal commits as agreed
    final = rules().decide(ANSWER, final=True, forced=False, start=0, end=5 * S, committed_until=0,
                           refine=lambda cut: True)
    assert final.commit == ANSWER and final.refine_until is None
    r = rules(pauses=[int(2.05 * S)])
    r.decide(ANSWER, final=False, forced=False, start=0, end=5 * S, committed_until=0)
    decision = r.decide(ANSWER, final=False, forced=False, start=0, end=5 * S, committed_until=0,
                        refine=lambda cut: False)
    assert decision.commit == ANSWER[:1] and decision.refine_until is None
