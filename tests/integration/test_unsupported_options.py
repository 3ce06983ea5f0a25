"""What the server cannot do of a WhisperLive client's options: a WARNING each, then it transcribes anyway.

The real server with the bundled English-only tiny.en model, real WebSockets on 127.0.0.1; the options are
sent as collabora's Python client writes them (whisper_live/fit.py decides, docs/protocol.md lists them).
"""

import json

import numpy as np

from tests.ws_session import load_audio, raw_session, stream
from whisper_live.wer import normalize


def warnings(outcome) -> list[str]:
    return [r.message for r in outcome.of("warning")]


def test_translation_into_a_target_language_gets_a_warning_naming_what_is_not_done(live_server):
    options = {"uid": "fr-please", "language": "en", "task": "transcribe", "model": "tiny.en",
               "enable_translation": True, "target_language": "fr", "enable_diarization": False}
    outcome = raw_session(live_server.url, json.dumps(options), wait=3.0)
    assert outcome.of("ready") and not outcome.of("error"), outcome.replies
    [warning] = warnings(outcome)
    assert "does not translate into 'fr' (enable_translation)" in warning, warning
    assert "task=translate translates into English" in warning and "transcript only" in warning, warning


def test_after_the_warnings_the_session_transcribes(live_server, espeak):
    audio = np.concatenate([load_audio(espeak("Good morning everyone.")), np.zeros(16000, np.float32)])
    outcome = stream(live_server.url, audio, speed=3.0, enable_translation=True, target_language="de")
    found = warnings(outcome)
    assert len(found) == 1 and "'de'" in found[0], found
    assert "morning" in normalize(outcome.text), outcome.text
    assert not outcome.of("error"), outcome.replies
