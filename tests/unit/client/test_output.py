"""Transcript files with speakers (whisper_live/client/output.py): each format names who speaks."""

import json

from whisper_live.client.output import render
from whisper_live.protocol import Segment

TALK = [Segment(0.0, 1.0, " Hello.", True, speaker="Ann"), Segment(1.0, 2.0, " How are you?", True, speaker="Ann"),
        Segment(2.5, 3.0, " Fine.", True, speaker="SPEAKER_01"), Segment(3.0, 3.2, " ", True, speaker="Ann"),
        Segment(3.5, 4.0, " Good.", True, speaker="Ann")]


def test_txt_writes_a_name_line_per_turn_joining_a_speakers_segments():
    assert render(TALK, "txt") == "Ann: Hello. How are you?\nSPEAKER_01: Fine.\nAnn: Good.\n"


def test_txt_without_speakers_keeps_a_line_per_segment():
    plain = [Segment(0.0, 1.0, " Hello.", True), Segment(1.0, 2.0, " Bye.", True)]
    assert render(plain, "txt") == "Hello.\nBye.\n"


def test_srt_and_vtt_name_the_speaker_of_each_cue():
    srt = render(TALK, "srt")
    assert "1\n00:00:00,000 --> 00:00:01,000\nAnn: Hello.\n" in srt
    assert "3\n00:00:02,500 --> 00:00:03,000\nSPEAKER_01: Fine.\n" in srt
    assert srt.count("-->") == 4  # the blank segment makes no cue
    vtt = render(TALK, "vtt")
    assert "00:00:01.000 --> 00:00:02.000\n<v Ann>How are you?\n" in vtt
    assert "00:00:02.500 --> 00:00:03.000\n<v SPEAKER_01>Fine.\n" in vtt


def test_json_gives_each_segment_its_speaker_and_lists_the_speakers_in_order():
    data = json.loads(render(TALK, "json"))
    assert [s.get("speaker") for s in data["segments"]] == ["Ann", "Ann", "SPEAKER_01", "Ann", "Ann"]
    assert data["speakers"] == ["Ann", "SPEAKER_01"]
    plain = json.loads(render([Segment(0.0, 1.0, " Hi.", True)], "json"))
    assert "speaker" not in plain["segments"][0] and "speakers" not in plain
