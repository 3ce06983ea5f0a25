"""The streaming core (whisper_live/streaming/stream.py) with plain arrays, an energy VAD and a scripted
transcriber; Stream.committed_until is written in one place only, and never moved back."""

import numpy as np
import pytest

from tests.fakes import ScriptedTranscriber, silence, speech
from tests.unit.session_driver import CHUNK, committed_words, make, serve, stream
from whisper_live.protocol import SAMPLE_RATE, VadParameters
from whisper_live.streaming import FINAL, PARTIAL


def test_utterances_commit_once_each_after_their_pause():
    model = ScriptedTranscriber()
    session, clock = make()
    audio = np.concatenate([silence(1.0), speech([1, 2, 3]), silence(1.0), speech([4, 5]), silence(1.0)])
    updates = stream(session, clock, audio, model, end=False)
    assert committed_words(session) == ["w1", "w2", "w3", "w4", "w5"]
    assert len(session.completed) == 2
    finals = [w for w, _ in updates if w.kind == FINAL]
    assert len(finals) == 2
    # the final window of the first utterance starts shortly before its speech (pad and lead-in) and ends
    # in the pause
    assert 0.5 <= finals[0].offset <= 1.0
    assert session.completed[0].start == pytest.approx(1.0, abs=0.25)
    assert session.completed[1].start >= session.completed[0].end


def test_partials_show_progress_and_never_commit_too_early():
    model = ScriptedTranscriber()
    session, clock = make()
    updates = stream(session, clock, np.concatenate([speech(list(range(10))), silence(1.0)]), model, end=False)
    partial_updates = [u for w, u in updates if w.kind == PARTIAL]
    assert len(partial_updates) >= 4
    assert all(not u.completed for u in partial_updates)  # short utterance: committed only at the pause
    assert any(u.partial and not u.partial[-1].completed for u in partial_updates)
    assert committed_words(session) == [f"w{k}" for k in range(10)]


def test_silence_costs_no_model_call():
    model = ScriptedTranscriber()
    session, clock = make()
    stream(session, clock, silence(30.0), model)
    assert model.calls == []
    assert session.buffered_seconds < 1.0
    assert session.finished


def test_end_of_audio_flushes_the_unfinished_utterance():
    model = ScriptedTranscriber()
    session, clock = make()
    stream(session, clock, np.concatenate([silence(0.5), speech([7, 8, 9], gap=0.05)]), model, end=True)
    assert committed_words(session) == ["w7", "w8", "w9"]
    assert session.finished


def test_continuous_speech_commits_by_agreement_without_loss_or_repeat():
    model = ScriptedTranscriber()
    session, clock = make(endpoint_schedule=((float("inf"), 1.0),))  # only 500 ms pauses end utterances
    # 90 words, a short 0.35 s pause after every 6 (too short for the 0.5 s endpoint), for 45 s of speech
    words = list(range(90))
    audio = np.concatenate([np.concatenate([speech(words[i:i + 6]), silence(0.25)]) for i in range(0, 90, 6)])
    updates = stream(session, clock, audio, model)
    assert committed_words(session) == [f"w{k}" for k in words]
    # commits happened during the stream, not only at the end
    assert sum(1 for w, u in updates if w.kind == PARTIAL and u.completed) >= 2
    assert all(w.end - w.start <= 25 * SAMPLE_RATE for w, _ in updates)


def test_while_the_model_is_behind_a_shorter_pause_ends_a_long_utterance():
    # 7 s of continuous speech, a 180 ms pause, then 3 more words: 200 ms end a long utterance while the
    # model has room, 150 ms while it is behind (shorter final windows, served sooner)
    audio = np.concatenate([speech(list(range(14)), gap=0.05), silence(0.18), speech([14, 15, 16], gap=0.05),
                            silence(1.0)])
    for room, finals_expected in ((True, 1), (False, 2)):
        model = ScriptedTranscriber()
        session, clock = make(has_room=lambda: room, agreement_after=60.0, agreement_in_speech_after=60.0)
        updates = stream(session, clock, audio, model)
        finals = [w for w, _ in updates if w.kind == FINAL]
        assert len(finals) == finals_expected
        assert committed_words(session) == [f"w{k}" for k in range(17)]


def test_slow_server_gets_longer_windows_less_often_and_loses_nothing():
    fast, slow = ScriptedTranscriber(), ScriptedTranscriber()
    audio = np.concatenate([np.concatenate([speech([i, i + 1, i + 2]), silence(0.7)]) for i in range(0, 30, 3)])
    # (no replayed context: it would fill both servers' final windows to the same 30 s)
    s1, c1 = make(final_context=0)
    stream(s1, c1, audio, fast, serve_every=1)
    s2, c2 = make(final_context=0)
    stream(s2, c2, audio, slow, serve_every=12)  # the model is free only every ~3 s
    assert committed_words(s1) == committed_words(s2) == [f"w{k}" for k in range(30)]
    assert len(slow.calls) < len(fast.calls)
    longest = max(len(c[0].audio) for c in slow.calls)
    assert longest > max(len(c[0].audio) for c in fast.calls)


def test_buffer_is_capped_and_skipped_audio_is_reported():
    model = ScriptedTranscriber()
    session, clock = make(max_buffer=45.0)
    audio = speech(list(range(120)), gap=0.05)  # 54 s of speech with no pause
    for i in range(0, len(audio), CHUNK):  # the model never gets a turn
        session.add_audio(audio[i:i + CHUNK])
    assert session.buffered_seconds <= 45.0 + CHUNK / SAMPLE_RATE
    warnings = session.take_warnings()
    assert warnings and "skipped" in warnings[0]
    skipped = float(warnings[-1].split("skipped ")[1].split(" s")[0])
    assert skipped > 0


def test_completed_segments_are_monotonic_and_carry_stream_times():
    model = ScriptedTranscriber()
    session, clock = make()
    audio = np.concatenate([silence(2.0), speech([1, 2]), silence(0.8), speech([3]), silence(0.8),
                            speech([4, 5, 6]), silence(1.0)])
    stream(session, clock, audio, model)
    ends = 0.0
    for seg in session.completed:
        assert seg.completed and seg.start >= ends and seg.end >= seg.start
        ends = seg.end
    w1 = 2.0
    assert session.completed[0].start == pytest.approx(w1, abs=0.05)
    assert session.completed[0].end == pytest.approx(w1 + 0.4 + 0.1 + 0.4, abs=0.05)


def test_without_vad_the_last_segment_commits_after_repeats():
    model = ScriptedTranscriber()
    session, clock = make(use_vad=False, same_output_threshold=3)
    updates = stream(session, clock, np.concatenate([speech([1, 2, 3]), silence(3.0)]), model, end=False)
    assert committed_words(session) == ["w1", "w2", "w3"]
    assert all(w.kind == PARTIAL for w, _ in updates)


def test_without_vad_end_of_audio_commits_the_rest_once():
    model = ScriptedTranscriber()
    session, clock = make(use_vad=False)
    stream(session, clock, speech(list(range(12))), model)
    assert committed_words(session) == [f"w{k}" for k in range(12)]


def test_language_is_reported_once_and_then_fixed():
    model = ScriptedTranscriber(language="de", multilingual=True)
    session, clock = make()
    updates = stream(session, clock, np.concatenate([speech(list(range(8))), silence(1.0),
                                                     speech([1, 2]), silence(1.0)]), model)
    languages = [u.language for _, u in updates if u.language]
    assert languages == [("de", 0.9)]
    assert session.language == "de"
    assert model.calls[-1][0].language == "de"


def test_one_window_in_flight_at_a_time_and_cancel_requeues():
    model = ScriptedTranscriber()
    session, clock = make()
    session.add_audio(np.concatenate([speech([1, 2]), silence(1.0)]))
    window = session.take_window()
    assert window is not None and session.take_window() is None and session.pending() is None
    session.cancel(window)
    again = session.take_window()
    assert again is not None
    session.apply(again, model.transcribe_batch([again.request])[0])
    assert committed_words(session) == ["w1", "w2"]


def test_vad_threshold_from_client_is_used():
    session, clock = make(vad=VadParameters(threshold=0.5, min_silence_duration_ms=2000))
    model = ScriptedTranscriber()
    # a 1 s pause is shorter than the client's 2 s: the two sentences form one utterance
    stream(session, clock, np.concatenate([speech([1]), silence(1.0), speech([2]), silence(2.5)]), model,
           end=False)
    assert len(session.completed) == 2 and committed_words(session) == ["w1", "w2"]
    finals = [c for c in model.calls if len(c[0].audio) > 2.0 * SAMPLE_RATE]
    assert finals, "both sentences should have gone to the model in one final window"


def test_short_pauses_end_long_utterances():
    model = ScriptedTranscriber()
    session, clock = make()
    # phrases of 6 words (3 s) separated by 0.4 s pauses: too short for 500 ms, but an utterance past 2 s
    # ends at a 300 ms pause
    audio = np.concatenate([np.concatenate([speech(list(range(i, i + 6))), silence(0.3)]) for i in range(0, 36, 6)])
    updates = stream(session, clock, audio, model)
    assert committed_words(session) == [f"w{k}" for k in range(36)]
    finals = [w for w, _ in updates if w.kind == FINAL]
    assert len(finals) == 6
    assert all((w.end - w.start) / SAMPLE_RATE < 4.0 for w in finals)


def test_a_short_utterance_needs_the_full_pause():
    model = ScriptedTranscriber()
    session, clock = make()
    # two 1-word phrases 0.3 s apart: the first utterance is short, so 0.3 s does not end it
    stream(session, clock, np.concatenate([speech([1]), silence(0.2), speech([2]), silence(1.0)]), model)
    assert len(session.completed) == 1 and committed_words(session) == ["w1", "w2"]


def test_agreement_cut_moves_into_the_pause_between_words():
    def late_timestamps(result, request):
        """Segment ends reported 0.45 s late: past the 0.35 s pause, inside the next word."""
        for seg in result.segments:
            seg.end = min(len(request.audio) / SAMPLE_RATE, seg.end + 0.45)

    model = ScriptedTranscriber(edit=late_timestamps)
    session, clock = make(endpoint_schedule=((float("inf"), 1.0),))
    # phrases of 4 words, 0.35 s apart: one utterance for the VAD, separate segments for the model
    audio = np.concatenate([silence(0.5)] + [np.concatenate([speech(list(range(i, i + 4))), silence(0.25)])
                                             for i in range(0, 40, 4)])
    updates = stream(session, clock, audio, model)
    starts = [w.start for w, _ in updates]
    cuts = sorted(set(starts))
    assert len(cuts) >= 4, "agreement should have cut the utterance several times"
    assert committed_words(session) == [f"w{k}" for k in range(40)]
    # every window after a cut starts in silence, not inside a word
    for start in cuts:
        assert abs(audio[min(start, len(audio) - 1)]) < 0.01



def test_a_segment_over_non_speech_is_not_committed():
    def hallucinates(result, request):
        """Adds "Please!" over the last 0.3 s of every window, where the audio is silent."""
        end = len(request.audio) / SAMPLE_RATE
        result.segments.append(type(result.segments[0])(start=end - 0.3, end=end, text=" Please!"))

    model = ScriptedTranscriber(edit=hallucinates)
    session, clock = make(final_context=0)
    stream(session, clock, np.concatenate([silence(0.5), speech([1, 2, 3]), silence(1.0)]), model, end=False)
    assert committed_words(session) == ["w1", "w2", "w3"]


def test_agreement_waits_for_a_pause_instead_of_cutting_inside_speech():
    class Segmented(ScriptedTranscriber):
        def transcribe_batch(self, requests):
            for request in requests:
                request.word_timestamps = True
            results = super().transcribe_batch(requests)
            for result in results:
                result.segments = [type(seg)(start=w.start, end=w.end, text=w.word, words=[w])
                                   for seg in result.segments for w in seg.words]
            return results

    # 40 words 0.02 s apart (17 s): the VAD hears no pause at all (every 32 ms frame has speech)
    audio = np.concatenate([silence(0.5), speech(list(range(40)), gap=0.02), silence(1.0)])
    session, clock = make(endpoint_schedule=((float("inf"), 1.0),))
    updates = stream(session, clock, audio, Segmented(), end=False)
    windows = [w for w, u in updates if w.kind == PARTIAL and u.completed]
    # agreement commits only once the window is 6 s long (agreement_in_speech_after), not from 4 s
    assert windows and all(w.end - w.start >= 6 * SAMPLE_RATE for w in windows)
    assert committed_words(session) == [f"w{k}" for k in range(40)]

    session, clock = make(endpoint_schedule=((float("inf"), 1.0),), agreement_in_speech_after=60.0)
    updates = stream(session, clock, audio, Segmented(), end=False)
    assert not [u for w, u in updates if w.kind == PARTIAL and u.completed]
    assert committed_words(session) == [f"w{k}" for k in range(40)]


def test_words_heard_again_after_a_cut_inside_a_phrase_are_not_repeated():
    def early_timestamps(result, request):
        """Segment ends reported 0.45 s early: before the segment's last word, in the gap ahead of it."""
        for seg in result.segments:
            seg.end = max(seg.start, seg.end - 0.45)

    model = ScriptedTranscriber(edit=early_timestamps)
    session, clock = make(endpoint_schedule=((float("inf"), 1.0),), final_context=0)
    audio = np.concatenate([silence(0.5)] + [np.concatenate([speech(list(range(i, i + 4))), silence(0.25)])
                                             for i in range(0, 40, 4)])
    updates = stream(session, clock, audio, model)
    assert any(w.kind == PARTIAL and u.completed for w, u in updates)
    assert committed_words(session) == [f"w{k}" for k in range(40)]


def test_committed_until_cannot_be_set_from_outside():
    stream, _ = make()
    with pytest.raises(AttributeError):
        stream.committed_until = SAMPLE_RATE


def test_committed_until_refuses_to_move_back():
    stream, _ = make()
    stream.add_audio(silence(2.0))  # silence between utterances is done with
    assert stream.committed_until > 0
    with pytest.raises(AssertionError):
        stream._advance_committed(stream.committed_until - 1)


def test_committed_until_only_moves_forward_through_pauses_clicks_commits_and_skips():
    model = ScriptedTranscriber()
    stream, clock = make(max_buffer=10.0)
    click = np.full(600, 0.2, dtype=np.float32)  # one VAD frame of sound: too short to be speech
    audio = np.concatenate([silence(1.0), click, silence(1.0), speech([1, 2, 3]), silence(1.0),
                            speech(list(range(4, 60)), gap=0.05), silence(1.0)])
    seen = []
    for n, i in enumerate(range(0, len(audio), CHUNK)):
        stream.add_audio(audio[i:i + CHUNK])
        clock.now += CHUNK / SAMPLE_RATE
        seen.append(stream.committed_until)
        if n < 40 or n % 40 == 0:  # then the model falls behind: the long utterance overflows the buffer
            serve(stream, model)
            seen.append(stream.committed_until)
    stream.end_of_audio()
    serve(stream, model)
    seen.append(stream.committed_until)
    assert any("skipped" in w for w in stream.take_warnings())
    assert seen == sorted(seen) and seen[-1] > seen[0]
    assert stream.finished
