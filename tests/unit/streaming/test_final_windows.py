"""Final windows: the committed speech they replay, how they are decoded, their lead-in, and the due time of
a final that waits for the model.

A final that waits keeps its place in the scheduler's queue while its client goes on speaking: under
saturation, an utterance that ends before the previous one's final was taken must not move that final to the
back of the queue (its wait would start again with every utterance, and one client's final could wait
without bound while the others are served)."""

import numpy as np
import pytest

from tests.fakes import ScriptedTranscriber, silence, speech
from tests.unit.session_driver import CHUNK, committed_words, make, phrases_without_an_end, serve, stream
from whisper_live.ladder import GREEDY, SHORT_CONTEXT
from whisper_live.protocol import SAMPLE_RATE, VadParameters
from whisper_live.streaming import FINAL, PARTIAL


def three_utterances():
    """Words 1-3, 4-6 and 7-9, each after a 0.6 s pause."""
    return np.concatenate([silence(0.5), speech([1, 2, 3]), silence(0.6), speech([4, 5, 6]), silence(0.6),
                           speech([7, 8, 9]), silence(1.0)])


def test_final_windows_replay_the_committed_speech_before_them():
    model = ScriptedTranscriber()
    session, clock = make(final_context=8.0)
    audio = np.concatenate([silence(0.5), speech([1, 2, 3]), silence(0.6), speech([4, 5, 6]), silence(1.0)])
    updates = stream(session, clock, audio, model, end=False)
    finals = [w for w, _ in updates if w.kind == FINAL]
    assert finals[0].context == 0 and finals[1].context > 0
    assert "w1" in finals[1].context_text
    # the request heard words 1-6; only 4-6 are new, and the segment carries stream times
    assert finals[1].request.word_timestamps and len(finals[1].request.audio) > finals[1].end - finals[1].start
    assert committed_words(session) == ["w1", "w2", "w3", "w4", "w5", "w6"]
    assert session.completed[1].start >= finals[1].start / SAMPLE_RATE
    assert session.completed[1].words is None  # the client did not ask for words


def test_final_windows_are_greedy_and_trimmed_by_default():
    model = ScriptedTranscriber()
    session, clock = make(final_context=2.0)
    audio = three_utterances()
    updates = stream(session, clock, audio, model, end=False)
    assert updates and all(w.request.beam_size == 1 and not w.request.full_window
                           and w.request.initial_prompt is None for w, _ in updates)
    assert committed_words(session) == [f"w{k}" for k in range(1, 10)]


def test_final_windows_can_be_decoded_as_offline_going_on_from_their_context():
    model = ScriptedTranscriber()
    # the second utterance's context: the first; the third's: the second
    session, clock = make(final_context=2.0, final_beam_size=5)
    audio = three_utterances()
    updates = stream(session, clock, audio, model, end=False)
    finals = [w for w, _ in updates if w.kind == FINAL]
    assert [bool(w.context) for w in finals] == [False, True, True]
    assert all(w.request.beam_size == 5 for w in finals)
    # without context: Whisper's whole window, from the start; with: the text starts where the context ends
    assert finals[0].request.full_window and finals[0].request.decode_from == 0
    assert finals[0].request.initial_prompt is None  # nothing committed yet
    for w in finals[1:]:
        assert not w.request.full_window and w.request.decode_from == w.context / SAMPLE_RATE
        assert not w.request.word_timestamps  # nothing to split: the client did not ask for words
    assert "w4" in finals[2].context_text and "w1" not in finals[2].context_text
    # the prompt is what was committed before the window, its context's text included; the last segment,
    # replayed whole, is the start of the answer
    assert finals[1].request.initial_prompt is None and finals[1].request.prefix.text == "w1 w2 w3"
    assert finals[2].request.initial_prompt.split() == ["w1", "w2", "w3"]
    assert finals[2].request.prompt_text().split() == [f"w{k}" for k in range(1, 7)]
    partials = [w for w, _ in updates if w.kind == PARTIAL]
    assert partials and all(w.request.beam_size == 1 and not w.request.full_window and not w.request.decode_from
                            and w.request.initial_prompt is None for w in partials)
    assert committed_words(session) == [f"w{k}" for k in range(1, 10)]
    # stream times: each segment starts where its speech does, just after its window's (padded) start
    assert [round(s.start, 2) for s in session.completed] == [0.5, 2.6, 4.7]
    assert all(w.start / SAMPLE_RATE <= s.start for s, w in zip(session.completed, finals))


def test_the_clients_prompt_comes_first():
    model = ScriptedTranscriber()
    session, clock = make(final_context=2.0, final_beam_size=3, initial_prompt="Glossary: wN.")
    audio = three_utterances()
    updates = stream(session, clock, audio, model, end=False)
    finals = [w for w, _ in updates if w.kind == FINAL]
    assert [w.request.beam_size for w in finals] == [3, 3, 3]
    assert finals[0].request.initial_prompt == "Glossary: wN."
    assert finals[2].request.prompt_text().split() == ["Glossary:", "wN."] + [f"w{k}" for k in range(1, 7)]
    assert all(w.request.initial_prompt == "Glossary: wN." for w, _ in updates if w.kind == PARTIAL)


def test_a_final_on_a_cheaper_rung_replays_at_most_8_s_of_context_and_narrows_its_beam():
    # 12 s of words, a pause, 2 s more: the second final may replay all 12 s, or 8 s on a cheaper rung
    for rung, most in ((None, 13.0), (SHORT_CONTEXT, 8.0), (GREEDY, 8.0)):
        model = ScriptedTranscriber()
        session, clock = make(final_context=20.0, final_beam_size=5)
        for k in range(12):  # twelve segments (the fake splits at gaps over 0.3 s), one final window
            session.add_audio(np.concatenate([speech([k]), silence(0.5)]))
        audio = np.concatenate([silence(0.1), speech([100, 101, 102]), silence(1.0)])
        for i in range(0, len(audio), 4096):
            session.add_audio(audio[i:i + 4096])
            while (window := session.take_window(rung)) is not None:
                session.apply(window, model.transcribe_batch([window.request])[0])
        assert committed_words(session)[-3:] == ["w100", "w101", "w102"]
        finals = [r for call in model.calls for r in call if r.decode_from]
        assert finals and max(r.decode_from for r in finals) <= most
        assert rung or max(r.decode_from for r in finals) > 8.0
        assert {r.beam_size for r in finals} == {1 if rung is GREEDY else 5}  # greedy: still from the context


def two_utterances_with_thorough_finals(edit):
    """(session, its final windows) for words 1-3 and 4-6, with a model whose answers ``edit`` changes."""
    model = ScriptedTranscriber(edit=edit)
    session, clock = make(final_context=8.0, final_beam_size=5)
    audio = np.concatenate([silence(0.5), speech([1, 2, 3]), silence(0.6), speech([4, 5, 6]), silence(1.0)])
    updates = stream(session, clock, audio, model, end=False)
    return session, [w for w, _ in updates if w.kind == FINAL]


@pytest.mark.parametrize("fault", ["made up words", "stamped inside the context", "nothing new"])
def test_a_continuation_that_looks_wrong_is_transcribed_again_without_context_in_the_end(fault):
    def edit(result, request):
        if not request.decode_from:
            return
        if fault == "made up words":  # Whisper went on past the audio, writing the rest of a sentence
            result.segments[-1].text += " and then" + " more" * 20
        elif fault == "stamped inside the context":
            result.segments[0].start = result.segments[0].end = request.decode_from / 2
        else:
            result.segments = []

    session, finals = two_utterances_with_thorough_finals(edit)
    # going on from the last committed segment, then from the context alone, then without context
    assert [(bool(w.request.decode_from), bool(w.request.prefix)) for w in finals] == [
        (False, False), (True, True), (True, False), (False, False)]
    assert finals[1].start == finals[2].start == finals[3].start and finals[3].request.full_window
    assert committed_words(session) == ["w1", "w2", "w3", "w4", "w5", "w6"]


def test_a_refused_answer_that_went_on_from_the_last_segment_is_asked_for_from_the_context_alone():
    def edit(result, request):
        if request.prefix:  # the model closed the given segment and stopped
            result.segments = []

    session, finals = two_utterances_with_thorough_finals(edit)
    prefixes = [w.request.prefix.text.split() if w.request.prefix else [] for w in finals]
    assert [(bool(w.request.decode_from), prefix) for w, prefix in zip(finals, prefixes)] == [
        (False, []), (True, ["w1", "w2", "w3"]), (True, [])]
    assert finals[2].request.initial_prompt.split()[-3:] == ["w1", "w2", "w3"]  # the segment is in the prompt
    assert committed_words(session) == ["w1", "w2", "w3", "w4", "w5", "w6"]


def test_a_one_word_continuation_is_counted_against_its_speech_not_the_pause_after_it():
    # the window of "w7" ends where the 1 s pause that ended it was confirmed: 0.4 s of speech in 1.5 s
    model = ScriptedTranscriber()
    session, clock = make(final_context=8.0, final_beam_size=5, vad=VadParameters(min_silence_duration_ms=1000))
    audio = np.concatenate([silence(0.5), speech([1, 2, 3]), silence(1.2), speech([7]), silence(1.5)])
    updates = stream(session, clock, audio, model, end=False)
    finals = [w for w, _ in updates if w.kind == FINAL]
    assert (finals[1].end - finals[1].start) / SAMPLE_RATE >= 1.4
    assert [bool(w.request.decode_from) for w in finals] == [False, True]  # kept, not decoded again
    assert committed_words(session) == ["w1", "w2", "w3", "w7"]


@pytest.mark.parametrize("beam, limit, fits, too_long", [(1, 27, 18, 24), (5, 24, 12, 18)])
def test_replayed_context_and_final_window_fit_in_one_request(beam, limit, fits, too_long):
    # 8 s of words, a pause, then more without one: its 8 s of context fit before a window of ``fits`` seconds
    # (in ``limit``: greedy finals 27 s, those decoded from the end of their context 24 s), not ``too_long``
    for seconds, replayed in ((fits, True), (too_long, False)):
        model = ScriptedTranscriber()
        session, clock = make(final_context=20.0, final_beam_size=beam)
        audio = np.concatenate([silence(0.5), speech(list(range(16))), silence(0.6),
                                speech(list(range(16, 16 + 2 * seconds))), silence(1.0)])
        updates = stream(session, clock, audio, model, end=False)
        finals = [w for w, _ in updates if w.kind == FINAL]
        assert len(finals) == 2 and bool(finals[1].context) == replayed
        assert all(len(w.request.audio) <= limit * SAMPLE_RATE for w in finals)
        assert committed_words(session) == [f"w{k}" for k in range(16 + 2 * seconds)]


def test_a_translation_gets_no_replayed_context():
    model = ScriptedTranscriber()
    session, clock = make(final_context=8.0, task="translate")
    audio = np.concatenate([silence(0.5), speech([1, 2, 3]), silence(0.6), speech([4, 5, 6]), silence(1.0)])
    updates = stream(session, clock, audio, model, end=False)
    finals = [w for w, _ in updates if w.kind == FINAL]
    assert len(finals) == 2 and not any(w.context for w in finals)
    assert committed_words(session) == ["w1", "w2", "w3", "w4", "w5", "w6"]


def test_a_model_without_word_timestamps_gets_the_final_again_without_context():
    def no_words(result, request):
        for seg in result.segments:
            seg.words = None

    model = ScriptedTranscriber(edit=no_words)
    session, clock = make(final_context=8.0)
    audio = np.concatenate([silence(0.5), speech([1, 2, 3]), silence(0.6), speech([4, 5, 6]), silence(1.0)])
    updates = stream(session, clock, audio, model, end=False)
    finals = [w for w, _ in updates if w.kind == FINAL]
    assert [bool(w.context) for w in finals] == [False, True, False]
    assert finals[1].start == finals[2].start
    assert committed_words(session) == ["w1", "w2", "w3", "w4", "w5", "w6"]


def test_a_final_window_after_a_short_pause_hears_the_quiet_audio_before_it():
    model = ScriptedTranscriber()
    session, clock = make(final_context=0)  # a window with replayed context needs no lead-in
    onset = 0.5 + 3 * 0.5 + 0.5  # second utterance: after three words and a 0.6 s pause
    audio = np.concatenate([silence(0.5), speech([1, 2, 3]), silence(0.5), speech([4, 5, 6]), silence(1.0)])
    updates = stream(session, clock, audio, model, end=False)
    second = [w for w, _ in updates if w.kind == FINAL][1]
    assert second.lead > 0
    assert len(second.request.audio) == second.end - second.start + second.lead
    assert not np.any(second.request.audio[:second.lead])  # the lead-in is the quiet audio before it
    assert all(w.lead == 0 for w, _ in updates if w.kind == PARTIAL)  # partials (and agreement) as they were
    assert committed_words(session) == ["w1", "w2", "w3", "w4", "w5", "w6"]
    # times stay stream times: the second segment starts where word 4 does
    assert session.completed[1].start == pytest.approx(onset, abs=0.02)


class SlowModel:
    """The scripted transcriber, with every call taking ``seconds`` of the session's clock (a busy model)."""

    def __init__(self, clock, seconds):
        self.clock, self.seconds, self.model = clock, seconds, ScriptedTranscriber()

    def transcribe_batch(self, requests):
        self.clock.now += self.seconds
        return self.model.transcribe_batch(requests)


def test_with_thorough_finals_agreed_text_is_decoded_again_as_a_final_while_the_model_keeps_up():
    audio = phrases_without_an_end()
    for beam in (1, 5):
        session, clock = make(final_context=8.0, final_beam_size=beam, refine_agreed_within=1.5,
                              endpoint_schedule=((float("inf"), 1.0),))
        updates = stream(session, clock, audio, ScriptedTranscriber(), end=False)
        assert committed_words(session) == [f"w{k}" for k in range(60)]
        committed_by = [w.kind for w, u in updates if u.completed]
        finals = [w for w, _ in updates if w.kind == FINAL]
        if beam == 1:  # greedy finals: agreed text is committed as the partial answers gave it
            assert PARTIAL in committed_by and len(finals) == 1
            continue
        # only final windows commit; each agreed stretch of the utterance became one, ending at a pause
        assert set(committed_by) == {FINAL} and len(finals) >= 3
        for w in finals[:-1]:
            assert w.request.beam_size == 5 and abs(audio[w.end]) < 0.01
        # ... and the ones after the first go on from the text committed before them
        assert all(w.request.decode_from > 0 and w.request.prompt_text() for w in finals[1:])
        # in-progress text still came from the partial windows in between
        assert any(u.partial for w, u in updates if w.kind == PARTIAL)


def test_agreed_text_commits_at_once_when_the_model_lags_or_has_no_room_or_refining_is_off():
    audio = phrases_without_an_end()
    for model_seconds, within, room in ((2.0, 1.5, True), (0.0, 1.5, False), (0.0, 0.0, True)):
        # (room: what the server's load meter says)
        only_long_pauses = ((float("inf"), 1.0),)
        session, clock = make(final_context=8.0, final_beam_size=5, refine_agreed_within=within,
                              has_room=lambda: room, endpoint_schedule=only_long_pauses,
                              endpoint_schedule_busy=only_long_pauses)
        updates = stream(session, clock, audio, SlowModel(clock, model_seconds), end=False)
        assert committed_words(session) == [f"w{k}" for k in range(60)]
        # the agreed text arrived more than 1.5 s before the answer (or refining is off): committed as it was
        assert PARTIAL in [w.kind for w, u in updates if u.completed]
        assert len([w for w, _ in updates if w.kind == FINAL]) == 1


def test_refining_agreed_text_does_not_shorten_a_final_already_due():
    # The utterance ends while a partial window is in flight. When that partial's answer comes back and
    # agrees with the one before, the final window of the whole utterance must stay as it is. Tried with
    # the partial held back at each chunk of the last phrases (some of those answers agree, some do not).
    words = 24
    audio = phrases_without_an_end()[:int((0.5 + words / 6 * (6 * 0.5 + 0.25)) * SAMPLE_RATE)]
    chunks = [audio[i:i + CHUNK] for i in range(0, len(audio), CHUNK)]
    for hold_from in range(len(chunks) - 12, len(chunks)):
        session, clock = make(final_context=8.0, final_beam_size=5, refine_agreed_within=10.0,
                              endpoint_schedule=((float("inf"), 1.0),))
        model, held = ScriptedTranscriber(), None
        for n, chunk in enumerate(chunks + [silence(CHUNK / SAMPLE_RATE)] * 8):  # 2 s: the utterance ends
            session.add_audio(chunk)
            clock.now += CHUNK / SAMPLE_RATE
            if n < hold_from:
                serve(session, model)
            elif held is None and session.pending() is not None:
                held = session.take_window()
        assert held is not None
        session.apply(held, model.transcribe_batch([held.request])[0])
        serve(session, model)
        assert committed_words(session) == [f"w{k}" for k in range(words)], hold_from


def feed(session, clock, audio):
    for i in range(0, len(audio), CHUNK):
        session.add_audio(audio[i:i + CHUNK])
        clock.now += CHUNK / SAMPLE_RATE


def test_a_waiting_final_keeps_its_due_time_when_the_next_utterance_ends():
    session, clock = make()
    feed(session, clock, np.concatenate([silence(0.5), speech([1, 2, 3]), silence(1.0)]))
    first = session.pending()
    assert first.kind == FINAL  # the model is busy: nobody takes it
    feed(session, clock, np.concatenate([speech([4, 5]), silence(1.0)]))
    second = session.pending()
    assert second.kind == FINAL and second.since == first.since
    assert clock.now - second.since > 2.0  # it has waited since the first utterance ended


def test_a_final_taken_before_the_next_utterance_ends_leaves_that_one_its_own_due_time():
    model = ScriptedTranscriber()
    session, clock = make()
    feed(session, clock, np.concatenate([silence(0.5), speech([1, 2, 3]), silence(1.0)]))
    first = session.pending()
    window = session.take_window()  # the model took the first final; it is still running
    feed(session, clock, np.concatenate([speech([4, 5]), silence(1.0)]))
    session.apply(window, model.transcribe_batch([window.request])[0])
    second = session.pending()
    assert second.kind == FINAL and second.since > first.since + 1.0
    serve(session, model)
    assert session.pending() is None
