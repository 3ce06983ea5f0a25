"""Left context for final windows: splitting an answer where its replayed context ends, checking one decoded
from there (whisper_live/streaming/final_context.py)."""

from whisper_live.streaming.final_context import check_continuation, context_segments, split_after_context
from whisper_live.protocol import Segment, Word


def segment(*words):
    """A segment from (text, start, end) triples."""
    ws = [Word(start, end, text, 0.9) for text, start, end in words]
    return Segment(start=ws[0].start, end=ws[-1].end, text="".join(w.word for w in ws), words=ws)


CONTEXT = " The Middle Ages brought calligraphy to perfection."


def context_answer():
    return segment((" The", 0.0, 0.3), (" Middle", 0.3, 0.7), (" Ages", 0.7, 1.1), (" brought", 1.1, 1.5),
                   (" calligraphy", 1.5, 2.3), (" to", 2.3, 2.5), (" perfection.", 2.5, 3.2))


def test_the_new_part_is_what_follows_the_committed_words():
    new = segment((" And", 3.5, 3.7), (" it", 3.7, 3.8), (" was", 3.8, 4.0), (" natural", 4.0, 4.5),
                  (" therefore.", 4.5, 5.3))
    kept = split_after_context([context_answer(), new], 3.4, CONTEXT, 2.0)
    assert [s.text for s in kept] == [" And it was natural therefore."]
    assert kept[0].start >= 3.4


def test_alignment_corrects_a_word_whose_timestamp_leaks_into_the_new_audio():
    # "perfection." is stamped after the split point; the committed text says it belongs to the context
    late = segment((" The", 0.0, 0.3), (" Middle", 0.3, 0.7), (" Ages", 0.7, 1.1), (" brought", 1.1, 1.5),
                   (" calligraphy", 1.5, 2.3), (" to", 2.3, 2.9), (" perfection.", 3.0, 3.9),
                   (" And", 4.0, 4.2), (" it", 4.2, 4.3), (" was", 4.3, 4.5), (" natural", 4.5, 5.0))
    kept = split_after_context([late], 3.4, CONTEXT, 1.8)
    assert "".join(s.text for s in kept) == " And it was natural"


def test_a_segment_begun_in_the_context_joins_the_next_one():
    straddling = segment((" calligraphy", 1.5, 2.3), (" to", 2.3, 2.5), (" perfection,", 2.5, 3.2),
                         (" and", 3.5, 3.7), (" it", 3.7, 3.8))
    head = segment((" The", 0.0, 0.3), (" Middle", 0.3, 0.7), (" Ages", 0.7, 1.1), (" brought", 1.1, 1.5))
    rest = segment((" was", 3.8, 4.0), (" natural", 4.0, 4.5), (" therefore.", 4.5, 5.3))
    kept = split_after_context([head, straddling, rest], 3.4, CONTEXT, 2.0)
    assert [s.text for s in kept] == [" and it was natural therefore."]


def test_an_answer_that_stops_early_or_repeats_the_context_is_refused():
    stops = segment((" And", 3.5, 3.7), (" it", 3.7, 3.8))
    assert split_after_context([context_answer(), stops], 3.4, CONTEXT, 4.0) is None
    repeats = segment((" And", 3.5, 3.7), (" brought", 3.7, 4.0), (" calligraphy", 4.0, 4.6), (" to", 4.6, 4.8),
                      (" perfection.", 4.8, 5.3))
    assert split_after_context([context_answer(), repeats], 3.4, CONTEXT, 2.0) is None
    loop = segment((" it", 3.5, 3.6), (" was", 3.6, 3.8), (" so", 3.8, 4.0), (" it", 4.0, 4.2),
                   (" was", 4.2, 4.4), (" so", 4.4, 5.3))
    assert split_after_context([context_answer(), loop], 3.4, CONTEXT, 2.0) is None


def test_an_answer_without_word_timestamps_is_refused():
    plain = Segment(start=0.0, end=5.0, text=CONTEXT + " And it was natural.")
    assert split_after_context([plain], 3.4, CONTEXT, 2.0) is None


def test_context_is_the_recent_committed_speech_only():
    done = [Segment(0.0, 2.0, " a"), Segment(10.0, 13.0, " b"), Segment(13.2, 16.0, " c")]
    assert [s.text for s in context_segments(done, 16.5, 8.0)] == [" b", " c"]
    assert [s.text for s in context_segments(done, 16.5, 4.0)] == [" c"]
    assert context_segments(done, 20.0, 8.0) == []  # 4 s of silence since: nothing to replay
    assert context_segments([], 5.0, 8.0) == []


def test_context_for_needs_its_audio_in_the_buffer():
    from whisper_live.streaming.final_context import context_for, replay_from

    done = [Segment(start=1.0, end=3.0, text=" one two"), Segment(start=3.2, end=5.0, text=" three four")]
    start = 5 * 16000
    assert context_for(done, start, buffer_start=0, max_seconds=8.0) == (4 * 16000, " one two three four")
    assert context_for(done, start, buffer_start=2 * 16000, max_seconds=8.0) == (0, "")  # audio gone
    assert context_for(done, start, buffer_start=0, max_seconds=0.0) == (0, "")
    # the buffer keeps what a window at 5 s may replay: from 1 s with 8 s of context, from 2 s with 3 s
    assert replay_from(done, start, 8.0) == 16000
    assert replay_from(done, start, 3.0) == 2 * 16000
    assert replay_from(done, start, 0.0) == start


def test_words_an_earlier_final_left_out_are_taken_back():
    # The committed text stops at "calligraphy": the final before stopped short of "to perfection." Heard
    # again in the context's audio, those words are new, however far they lie from the timestamp split.
    committed = " The Middle Ages brought calligraphy"
    answer = segment((" The", 0.0, 0.3), (" Middle", 0.3, 0.7), (" Ages", 0.7, 1.1), (" brought", 1.1, 1.5),
                     (" calligraphy", 1.5, 2.3), (" to", 2.3, 2.5), (" perfection", 2.5, 3.0),
                     (" at", 3.0, 3.1), (" last.", 3.1, 3.3), (" And", 3.5, 3.7), (" it", 3.7, 3.8),
                     (" was", 3.8, 4.0), (" natural.", 4.0, 4.5))
    kept = split_after_context([answer], 3.4, committed, 1.2)
    assert "".join(s.text for s in kept) == " to perfection at last. And it was natural."


def test_a_short_match_does_not_take_back_words():
    # Only "calligraphy" matches the committed end: too little to trust over the timestamps.
    answer = segment((" calligraphy", 0.0, 0.6), (" to", 0.6, 0.8), (" perfection", 0.8, 1.4),
                     (" at", 1.4, 1.6), (" last.", 1.6, 3.2), (" And", 3.5, 3.7), (" it", 3.7, 3.8),
                     (" was", 3.8, 4.0), (" natural.", 4.0, 4.5))
    kept = split_after_context([answer], 3.4, " Nothing like calligraphy", 1.2)
    assert "".join(s.text for s in kept) == " And it was natural."


def test_a_last_committed_word_heard_as_two_words_is_not_repeated():
    # committed "... to perfection"; the context's answer spells it "perfect ion": neither half is new
    answer = segment((" The", 0.0, 0.3), (" Middle", 0.3, 0.7), (" Ages", 0.7, 1.1), (" brought", 1.1, 1.5),
                     (" calligraphy", 1.5, 2.3), (" to", 2.3, 2.5), (" perfect", 2.5, 2.9), (" ion", 2.9, 3.6),
                     (" And", 3.7, 3.8), (" it", 3.8, 3.9), (" was", 3.9, 4.1), (" natural.", 4.1, 4.6))
    kept = split_after_context([answer], 3.4, " The Middle Ages brought calligraphy to perfection", 1.2)
    assert "".join(s.text for s in kept) == " And it was natural."


def test_the_prompt_is_the_committed_text_before_the_replayed_context():
    from whisper_live.streaming.final_context import prompt_before

    done = [Segment(start=0.0, end=2.0, text=" One two three."), Segment(start=2.5, end=4.0, text=" Four five."),
            Segment(start=4.5, end=6.0, text=" Six seven.")]
    # a window whose context starts at 4.5 s: the prompt stops before "Six"
    assert prompt_before(done, 4.5) == "One two three. Four five."
    assert prompt_before(done, 4.5, max_words=3) == "three. Four five."
    assert prompt_before(done, 4.5, initial_prompt=" Numbers. ") == "Numbers. One two three. Four five."
    assert prompt_before(done, 1.0) is None  # nothing committed before it
    assert prompt_before(done, 1.0, initial_prompt="Numbers.") == "Numbers."


def test_a_continuation_is_kept_as_it_came():
    # decoded from 3.4 s on (Request.decode_from), the answer holds only the new audio's text
    new = Segment(start=3.4, end=5.3, text=" And it was natural therefore.")
    kept = check_continuation([new], 3.4, CONTEXT, 2.0)
    assert [(s.start, s.end, s.text) for s in kept] == [(3.4, 5.3, " And it was natural therefore.")]


def test_a_continuation_that_stops_early_repeats_the_context_or_runs_on_is_refused():
    def checked(text, end=5.3, start=3.4):
        return check_continuation([Segment(start=start, end=end, text=text)], 3.4, CONTEXT, 2.0)

    assert checked(" And it was natural therefore.") is not None
    assert checked(" And it was", end=3.9) is None  # stopped 1.4 s before the audio's end
    assert checked(" Hm.") is None  # one word for 2 s of speech
    assert checked(" brought calligraphy to perfection and so on") is None  # the context again
    assert checked(" And it was natural therefore, as every scribe of the age knew well, to write so.") is None
    assert checked(" And it was natural therefore.", start=1.0) is None  # stamped inside the context


def test_a_number_in_digits_counts_as_the_words_it_takes_to_say():
    def checked(text, seconds):
        return check_continuation([Segment(start=3.4, end=3.4 + seconds, text=text)], 3.4, CONTEXT, seconds)

    assert checked(" 1455,", 1.5) is not None  # "fourteen fifty-five"
    assert checked(" Yes,", 1.5) is None  # one word for 1.5 s of speech


def test_a_continuation_may_say_again_what_the_context_said_earlier():
    # 20 s of context; the new words share a phrase with its start, not with its end
    context = (" And it was a matter of course that in the Middle Ages the craftsmen took care. The forms of"
               " printed letters should be beautiful. The Middle Ages brought calligraphy to perfection.")

    def checked(text, seconds=5.2):
        return check_continuation([Segment(start=20.0, end=20.0 + seconds, text=text)], 20.0, context, seconds)

    assert checked(" That the forms of printed letters should follow those of the written character.") is not None
    # ... but writing the context's last words again is going back, not going on
    assert checked(" Brought calligraphy to perfection, and the forms of the letters followed it.") is None
    # a phrase said twice within the new words is a loop
    assert checked(" the forms of the letters and the forms of the letters and so on again.") is None
    assert checked(" of the letters, so it was so it was so it was so.") is None
    # ... but a sentence may use three words twice
    assert checked(" The invention of movable metal letters in the middle of the fifteenth century may justly"
                   " be considered as the invention of the art of printing.", seconds=8.3) is not None


def test_a_continuation_that_copies_a_sentence_of_its_context_is_refused():
    context = (" Now, as all books not primarily intended as picture books consist principally of types composed"
               " to form letterpress, it is of the first importance that the letter used should be fine in form.")
    new = " especially as no more time is occupied or cost incurred in casting, setting, or printing."

    def checked(text, seconds=7.0):
        return check_continuation([Segment(start=20.0, end=20.0 + seconds, text=text)], 20.0, context, seconds)

    assert checked(new) is not None
    assert checked(new + " Now, as all books not primarily intended as picture books consist principally.") is None
    # six words in a row again is read text, not a copy
    assert checked(new + " And all books not primarily intended as pictures") is not None


def test_the_last_committed_segment_is_the_open_one_when_the_window_replays_it():
    from whisper_live.streaming.final_context import open_segment, prompt_before

    done = [Segment(start=1.0, end=3.0, text=" First part.", completed=True),
            Segment(start=3.4, end=5.0, text="  printing   beautiful letters.", completed=True)]
    # a final window from 5.3 s replaying context from 1.0 s: the last segment starts 2.4 s into its audio,
    # and the prompt ends with its text as given here (spaces tidied)
    assert open_segment(done, 5.31, 1.0) == ("printing beautiful letters.", 2.4)
    assert prompt_before(done, 5.31).endswith(open_segment(done, 5.31, 1.0)[0])
    # context that starts inside the last segment does not replay it whole: no open segment
    assert open_segment(done, 5.31, 4.0) == ("", 0.0)
    assert open_segment([], 5.31, 1.0) == ("", 0.0)


def test_a_final_going_on_from_its_context_gets_the_committed_text_as_prompt_and_prefix():
    from whisper_live.streaming.final_context import prompt_and_prefix, prompt_before
    from whisper_live.transcriber.base import Prefix

    done = [Segment(start=1.0, end=3.0, text=" First part.", completed=True),
            Segment(start=3.4, end=5.0, text="  printing   beautiful letters.", completed=True)]
    prompt, prefix = prompt_and_prefix(done, 5.31, 1.0, "Glossary.")
    assert (prompt, prefix) == ("Glossary. First part.", Prefix("printing beautiful letters.", 2.4))
    assert f"{prompt} {prefix.text}" == prompt_before(done, 5.31, "Glossary.")
    # refused going on from the segment, or replaying only part of it: the segment stays in the prompt
    assert prompt_and_prefix(done, 5.31, 1.0, go_on=False) == (prompt_before(done, 5.31), None)
    assert prompt_and_prefix(done, 5.31, 4.0) == (prompt_before(done, 5.31), None)
    # a segment longer than the prompt holds stays in it too
    long = [Segment(start=0.0, end=30.0, text=" w" * 150, completed=True)]
    assert prompt_and_prefix(long, 30.5, 0.0) == (prompt_before(long, 30.5), None)
