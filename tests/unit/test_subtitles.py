"""SRT and WebVTT subtitles (whisper_live/subtitles.py) of a file's segments."""

import re

from whisper_live.protocol import Segment
from whisper_live.transcriber.files import FileSegment
from whisper_live.subtitles import to_srt as srt, to_vtt as vtt

SEGMENTS = [FileSegment(0, 0, 0.0, 2.5, " Hello there."), FileSegment(1, 0, 3661.25, 3662.0, " Bye.")]


def test_srt_and_vtt_number_and_stamp_each_segment():
    assert srt(SEGMENTS) == ("1\n00:00:00,000 --> 00:00:02,500\nHello there.\n\n"
                             "2\n01:01:01,250 --> 01:01:02,000\nBye.\n")
    assert vtt(SEGMENTS) == ("WEBVTT\n\n00:00:00.000 --> 00:00:02.500\nHello there.\n\n"
                             "01:01:01.250 --> 01:01:02.000\nBye.\n")


def test_srt_times_parse():
    for line in srt(SEGMENTS).splitlines():
        if "-->" in line:
            assert re.fullmatch(r"\d\d:\d\d:\d\d,\d{3} --> \d\d:\d\d:\d\d,\d{3}", line)



def test_a_segment_with_a_speaker_names_it_in_srt_and_as_a_webvtt_voice():
    talk = [Segment(0.0, 1.0, " Hi.", True, speaker="Ann"), Segment(1.0, 2.0, " a < b & c", True, speaker="Bob <2>")]
    assert srt(talk) == ("1\n00:00:00,000 --> 00:00:01,000\nAnn: Hi.\n\n"
                         "2\n00:00:01,000 --> 00:00:02,000\nBob <2>: a < b & c\n")
    assert vtt(talk) == ("WEBVTT\n\n00:00:00.000 --> 00:00:01.000\n<v Ann>Hi.\n\n"
                         "00:00:01.000 --> 00:00:02.000\n<v Bob &lt;2&gt;>a &lt; b &amp; c\n")


def test_a_segment_without_a_speaker_or_with_a_blank_one_names_none():
    for speaker in (None, " "):
        segment = Segment(0.0, 1.0, " Hi.", True, speaker=speaker)
        assert srt([segment]).endswith("\nHi.\n") and vtt([segment]).endswith("\nHi.\n")
