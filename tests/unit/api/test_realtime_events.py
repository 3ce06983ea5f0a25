"""Realtime client events (whisper_live/api/realtime_events.py): their parsing and the session settings."""

import pytest

from whisper_live.api.realtime_events import RealtimeError, SessionSettings, parse


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
    {"input_audio_format": "g711_ulaw"}, {"audio": {"input": {"format": {"type": "audio/pcm", "rate": 4}}}},
    {"turn_detection": {"type": "push_to_talk"}}, {"turn_detection": {"type": "server_vad", "threshold": "x"}}])
def test_bad_session_settings_are_refused(session):
    with pytest.raises(RealtimeError):
        SessionSettings().update({"type": "session.update", "session": session})
