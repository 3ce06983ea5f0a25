"""Realtime session settings: telephone audio (G.711) in the beta and the current session shapes."""

import numpy as np
import pytest

from whisper_live.api.realtime_events import RealtimeError, SessionSettings
from whisper_live.protocol import encode_audio_frame


@pytest.mark.parametrize("session, audio_format, rate", [
    ({"input_audio_format": "g711_ulaw"}, "mulaw", 8000),
    ({"input_audio_format": "g711_alaw"}, "alaw", 8000),
    ({"input_audio_format": "pcm16"}, "int16", 24000),
    ({"type": "transcription", "audio": {"input": {"format": {"type": "audio/pcmu"}}}}, "mulaw", 8000),
    ({"type": "transcription", "audio": {"input": {"format": {"type": "audio/pcma", "rate": 8000}}}}, "alaw", 8000),
    ({"type": "transcription", "audio": {"input": {"format": {"type": "audio/pcm", "rate": 16000}}}}, "int16", 16000),
])
def test_input_formats_are_read(session, audio_format, rate):
    settings = SessionSettings()
    settings.update({"type": "session.update", "session": session})
    assert (settings.audio_format, settings.rate) == (audio_format, rate)


def test_the_session_is_written_back_with_its_format():
    settings = SessionSettings()
    settings.update({"type": "transcription_session.update", "session": {"input_audio_format": "g711_ulaw"}})
    assert settings.to_wire(beta=True)["input_audio_format"] == "g711_ulaw"
    assert settings.to_wire()["audio"]["input"]["format"] == {"type": "audio/pcmu"}
    settings.update({"type": "session.update", "session": {"audio": {"input": {"format": {"type": "audio/pcma"}}}}})
    assert settings.to_wire(beta=True)["input_audio_format"] == "g711_alaw"
    settings.update({"type": "session.update", "session": {"audio": {"input": {"format": {
        "type": "audio/pcm", "rate": 24000}}}}})
    assert settings.to_wire()["audio"]["input"]["format"] == {"type": "audio/pcm", "rate": 24000}
    assert settings.to_wire(beta=True)["input_audio_format"] == "pcm16"


def test_g711_at_another_rate_is_refused():
    with pytest.raises(RealtimeError, match="8000 Hz"):
        SessionSettings().update({"type": "session.update", "session": {"audio": {"input": {"format": {
            "type": "audio/pcmu", "rate": 16000}}}}})


def test_the_decoder_follows_the_settings():
    settings = SessionSettings()
    settings.update({"type": "session.update", "session": {"input_audio_format": "g711_ulaw"}})
    decoder = settings.decoder(30.0)
    tone = (0.5 * np.sin(2 * np.pi * 300 * np.arange(8000) / 8000)).astype(np.float32)
    out = np.concatenate([decoder.decode(encode_audio_frame(tone, "mulaw")), decoder.flush()])
    assert decoder.seconds(8000) == 1.0 and abs(len(out) - 16000) <= 2
