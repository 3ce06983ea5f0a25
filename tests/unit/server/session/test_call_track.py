"""One track of a call: its windows' answers as transcripts in order, its end of audio, its model failures."""

import numpy as np

from tests.fakes import ScriptedTranscriber, EnergyVad, silence, speech
from tests.unit.server.session.call_fakes import PumpRunner
from whisper_live.audio.decoder import AudioDecoder
from whisper_live.server.session.call_track import CallTrack, confidence_of
from whisper_live.server.session.lifecycle import EndCause
from whisper_live.streaming import Stream, StreamConfig
from whisper_live.transcriber.base import RawSegment, Result


def track(runner, partial_results=False):
    out = []
    t = CallTrack("outbound", "CA1:outbound", Stream(StreamConfig(), EnergyVad()), runner,
                  AudioDecoder("float32", 16000), emit=out.append, max_connection_time=60,
                  partial_results=partial_results)
    t.session.join_runner(t)
    return t, out


def feed(t, audio, size=4000):
    for i in range(0, len(audio), size):
        t.add_media(audio[i:i + size].astype("<f4").tobytes())


def test_finals_come_in_order_with_their_track_and_span():
    t, out = track(PumpRunner())
    feed(t, np.concatenate([speech([1, 2]), silence(1.0), speech([3]), silence(1.0)]))
    t.end_audio(EndCause.END_OF_AUDIO)
    assert t.done
    assert [(x.track, x.text, x.final) for x in out] == [("outbound", "w1 w2", True), ("outbound", "w3", True)]
    assert out[0].end <= out[1].start and t.finals == 2


def test_the_end_of_audio_commits_the_words_in_progress():
    t, out = track(PumpRunner())
    feed(t, speech([5]))
    assert not out
    t.end_audio(EndCause.END_OF_AUDIO)
    assert [x.text for x in out] == ["w5"]


def test_partials_only_when_asked_and_each_text_once():
    t, out = track(PumpRunner(), partial_results=True)
    feed(t, np.concatenate([speech(list(range(1, 10))), silence(1.0)]))
    partials = [x.text for x in out if not x.final]
    assert partials and len(partials) == len(set(partials))
    quiet, none = track(PumpRunner())
    feed(quiet, np.concatenate([speech(list(range(1, 10))), silence(1.0)]))
    assert all(x.final for x in none)


def test_repeated_model_failures_leave_the_track_done_and_failed():
    t, out = track(PumpRunner(fail=True))
    feed(t, np.concatenate([speech(list(range(1, 12))), silence(1.0)]))
    t.end_audio(EndCause.END_OF_AUDIO)
    assert t.failed and t.done and out == []


def test_nothing_is_emitted_once_the_session_ended():
    runner = PumpRunner(ScriptedTranscriber())
    t, out = track(runner)
    t.session.end(EndCause.CLOSED)
    feed(t, np.concatenate([speech([1]), silence(1.0)]))
    assert out == [] and t.done


def test_confidence_is_the_mean_token_probability():
    assert confidence_of(Result([])) == 0.0
    value = confidence_of(Result([RawSegment(0, 1, "a", avg_logprob=-0.1), RawSegment(1, 2, "b", avg_logprob=-0.3)]))
    assert abs(value - np.exp(-0.2)) < 1e-9
