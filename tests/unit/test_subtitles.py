"""SRT and WebVTT subtitles (whisper_live/subtitles.py) of a file's segments."""

import re

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
