"""The API's pure parts: response formats, Realtime event parsing and session settings."""

import json
import re

import pytest

from whisper_live.api.formats import render
from whisper_live.subtitles import to_srt as srt, to_vtt as vtt
from whisper_live.api.realtime_events import RealtimeError, SessionSettings, parse
from whisper_live.protocol import Word
from whisper_live.transcriber.files import FileSegment

SEGMENTS = [FileSegment(0, 0, 0.0, 2.5, " Hello there.", words=[Word(0.0, 1.0, " Hello"), Word(1.1, 2.5, " there.")]),
            FileSegment(1, 0, 3661.25, 3662.0, " Bye.", words=[Word(3661.3, 3662.0, " Bye.")])]


def test_srt_and_vtt_number_and_stamp_each_segment():
    assert srt(SEGMENTS) == ("1\n00:00:00,000 --> 00:00:02,500\nHello there.\n\n"
                             "2\n01:01:01,250 --> 01:01:02,000\nBye.\n")
    assert vtt(SEGMENTS) == ("WEBVTT\n\n00:00:00.000 --> 00:00:02.500\nHello there.\n\n"
                             "01:01:01.250 --> 01:01:02.000\nBye.\n")


def test_json_text_and_verbose_json():
    body, media = render(SEGMENTS, "json", task="transcribe", language="en", duration=3662.0)
    assert body["text"] == "Hello there. Bye." and media == "application/json"
    text, media = render(SEGMENTS, "text", task="transcribe", language="en", duration=3662.0)
    assert text == "Hello there. Bye.\n" and media == "text/plain"
    body, _ = render(SEGMENTS, "verbose_json", task="translate", language="fr", duration=3662.0,
                     granularities=("word",))
    assert body["task"] == "translate" and body["language"] == "fr" and "segments" not in body
    assert [w["word"] for w in body["words"]] == ["Hello", "there.", "Bye."]
    body, _ = render(SEGMENTS, "verbose_json", task="transcribe", language="en", duration=3662.0)
    assert [s["id"] for s in body["segments"]] == [0, 1] and "words" not in body
    json.dumps(body)


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


def test_srt_times_parse():
    for line in srt(SEGMENTS).splitlines():
        if "-->" in line:
            assert re.fullmatch(r"\d\d:\d\d:\d\d,\d{3} --> \d\d:\d\d:\d\d,\d{3}", line)
