"""The direct bench's driver: every due window is transcribed at once, and the transcript is the commits."""

import numpy as np

from tests.fakes import EnergyVad, ScriptedTranscriber, silence, speech
from whisper_live.bench.direct import stream
from whisper_live.streaming import SessionConfig, StreamingSession


def test_stream_transcribes_every_window_when_due_and_keeps_every_word():
    model = ScriptedTranscriber()
    session = StreamingSession(SessionConfig(), EnergyVad())
    audio = np.concatenate([speech([1, 2, 3]), silence(1.0), speech([4, 5, 6, 7, 8, 9]), silence(1.0)])
    result = stream(session, lambda request: model.transcribe_batch([request])[0], audio)
    assert result["text"].split() == [f"w{k}" for k in range(1, 10)]
    windows = result["windows"]
    assert windows["final"]["windows"] == 2  # one per utterance
    assert windows["partial"]["windows"] >= 2  # in-progress text while each was spoken
    assert sum(w["windows"] for w in windows.values()) == len(model.calls)
    assert session.finished


def test_stream_ends_an_utterance_still_going_at_the_end_of_the_audio():
    model = ScriptedTranscriber()
    session = StreamingSession(SessionConfig(), EnergyVad())
    result = stream(session, lambda request: model.transcribe_batch([request])[0], speech([1, 2, 3, 4]))
    assert result["text"].split() == ["w1", "w2", "w3", "w4"]
    assert session.finished
