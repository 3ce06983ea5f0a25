"""Realtime client events (whisper_live/api/realtime_events.py): their parsing and the session settings, telephone
audio (G.711) in the beta and the current session shapes included."""

import numpy as np
import pytest

from whisper_live.api.realtime_events import RealtimeError, SessionSettings, parse
from whisper_live.protocol import encode_audio_frame


@pytest.mark.parametrize("message, code", [
    ("not json", "invalid_json"), ("[1, 2]", "invalid_event"), ('{"type": "response.create"}', "unknown_event"),
    (b"\x00\x01", "invalid_event")])
def test_bad_client_events_are_refused_with_a_code(message, code):
    with pytest.raises(RealtimeError) as refused:
        parse(message)
    assert refused.value.code == code and refused.value.message


def test_session_update_in_both_shapes():
    current = SessionSettings()
    current.update({"type": "session.update", "session": {"type": "transcription", "audio": {"input": {
        "format": {"type": "audio/pcm", "rate": 16000},
        "transcription": {"model": "whisper-1", "language": "EN", "prompt": "Names: Ada.",
                          "keywords": ["Ada", "Lovelace"]},
        "turn_detection": {"type": "server_vad", "threshold": 0.6, "silence_duration_ms": 300,
                           "prefix_padding_ms": 100}}}}})
    assert (current.model, current.language, current.prompt, current.rate) == ("whisper-1", "en", "Names: Ada.", 16000)
    assert current.hotwords == "Ada Lovelace"
    assert (current.vad.threshold, current.vad.min_silence_duration_ms, current.vad.speech_pad_ms) == (0.6, 300, 100)
    wire = current.to_wire()["audio"]["input"]
    assert wire["turn_detection"]["silence_duration_ms"] == 300 and wire["format"]["rate"] == 16000

    beta = SessionSettings()
    beta.update({"type": "transcription_session.update", "session": {
        "input_audio_format": "pcm16", "input_audio_transcription": {"model": "tiny.en"}, "turn_detection": None}})
    assert beta.vad is None and beta.model == "tiny.en" and beta.rate == 24000
    assert beta.to_wire(beta=True)["turn_detection"] is None


@pytest.mark.parametrize("session", [
    {"input_audio_format": "g722"}, {"audio": {"input": {"format": {"type": "audio/pcm", "rate": 4}}}},
    {"turn_detection": {"type": "push_to_talk"}}, {"turn_detection": {"type": "server_vad", "threshold": "x"}}])
def test_bad_session_settings_are_refused(session):
    with pytest.raises(RealtimeError):
        SessionSettings().update({"type": "session.update", "session": session})


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
