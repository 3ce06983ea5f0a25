"""The transcription API's response formats (whisper_live/api/formats.py)."""

import json

from whisper_live.api.formats import render
from whisper_live.protocol import Word
from whisper_live.transcriber.files import FileSegment

SEGMENTS = [FileSegment(0, 0, 0.0, 2.5, " Hello there.", words=[Word(0.0, 1.0, " Hello"), Word(1.1, 2.5, " there.")]),
            FileSegment(1, 0, 3661.25, 3662.0, " Bye.", words=[Word(3661.3, 3662.0, " Bye.")])]


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


def test_diarized_json_in_openais_shape():
    segments = [FileSegment(0, 0, 0.0, 2.5, " Hello there.", speaker="Ann"),
                FileSegment(1, 0, 3.0, 4.0, " Bye.", speaker="A")]
    body, media = render(segments, "diarized_json", task="transcribe", language="en", duration=4.5)
    assert media == "application/json" and body["task"] == "transcribe" and body["duration"] == 4.5
    assert body["text"] == "Hello there. Bye." and body["usage"] == {"type": "duration", "seconds": 4.5}
    assert body["segments"] == [
        {"type": "transcript.text.segment", "id": "seg_0", "start": 0.0, "end": 2.5, "text": "Hello there.",
         "speaker": "Ann"},
        {"type": "transcript.text.segment", "id": "seg_1", "start": 3.0, "end": 4.0, "text": "Bye.", "speaker": "A"}]


def test_verbose_json_segments_carry_the_speaker_only_when_asked():
    segments = [FileSegment(0, 0, 0.0, 2.5, " Hello.", speaker="Ann")]
    body, _ = render(segments, "verbose_json", task="transcribe", language="en", duration=3.0, speakers=True)
    assert body["segments"][0]["speaker"] == "Ann"
    body, _ = render(SEGMENTS, "verbose_json", task="transcribe", language="en", duration=3662.0)
    assert all("speaker" not in s for s in body["segments"])
