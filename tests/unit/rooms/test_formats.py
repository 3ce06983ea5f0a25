import json

import pytest

from whisper_live.rooms.formats import transcript
from whisper_live.rooms.lines import Line

LINES = [Line(1, 1, "Ann", 1.0, 2.5, "Hello <all>."), Line(2, 2, "Bob", 3.0, 4.0, "Hi.", label="SPEAKER_00")]


def test_txt_names_each_speaker():
    assert transcript("r", LINES, "txt") == "Ann: Hello <all>.\nBob (SPEAKER_00): Hi.\n"


def test_srt():
    assert transcript("r", LINES, "srt").startswith("1\n00:00:01,000 --> 00:00:02,500\nAnn: Hello <all>.\n")


def test_vtt_uses_voice_spans_and_escapes():
    vtt = transcript("r", LINES, "vtt")
    assert vtt.startswith("WEBVTT\n")
    assert "00:00:03.000 --> 00:00:04.000\n<v Bob (SPEAKER_00)>Hi.\n" in vtt
    assert "<v Ann>Hello &lt;all&gt;." in vtt


def test_json():
    data = json.loads(transcript("r", LINES, "json"))
    assert data["room"] == "r" and data["lines"][1] == {"seq": 2, "publisher": 2, "speaker": "Bob", "start": 3.0,
                                                        "end": 4.0, "text": "Hi.", "label": "SPEAKER_00"}


def test_unknown_format():
    with pytest.raises(ValueError):
        transcript("r", LINES, "doc")
