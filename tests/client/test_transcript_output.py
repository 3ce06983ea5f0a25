import json

import pytest

from whisper_live.client.output import format_from_path, render, write_transcript
from whisper_live.client.transcript import Transcript
from whisper_live.protocol import Segment, Word


def seg(start, end, text, completed=True, words=None):
    return Segment(start, end, text, completed, words)


def test_repeated_windows_give_each_completed_segment_once_in_order():
    t = Transcript()
    assert t.update([seg(0, 1, " a"), seg(1, 1.5, " b?", False)]) == [seg(0, 1, " a")]
    assert t.pending == [seg(1, 1.5, " b?", False)]
    added = t.update([seg(0, 1, " a"), seg(1, 2, " b"), seg(2, 2.4, " c?", False)])
    assert [s.text for s in added] == [" b"]
    # the window slid: "a" no longer repeated, "b" repeated, "c" new
    added = t.update([seg(1, 2, " b"), seg(2, 3, " c")])
    assert [s.text for s in added] == [" c"]
    assert t.pending == []
    assert [s.text for s in t.completed] == [" a", " b", " c"]
    assert t.text() == "a b c"


def test_pending_text_and_last_n_view():
    t = Transcript()
    t.update([seg(0, 1, " one"), seg(1, 2, " two"), seg(2, 2.5, " thr", False)])
    assert t.text() == "one two"
    assert t.text(include_pending=True) == "one two thr"
    assert [s.text for s in t.last(2)] == [" two", " thr"]
    assert t.last(0) == []


def test_a_completed_segment_older_than_the_last_is_not_taken_again():
    t = Transcript()
    t.update([seg(0, 1, " a"), seg(1, 2, " b")])
    # a server that repeats an older window after a newer one must not reorder or duplicate
    assert t.update([seg(0, 1, " a")]) == []
    assert [s.text for s in t.completed] == [" a", " b"]


def test_an_open_repeat_of_the_last_completed_segment_is_not_in_progress():
    t = Transcript()
    t.update([seg(0, 1, " one"), seg(1, 2, " tw", False)])
    # the update completing "two" with nothing after it, then the server's open repeat of it
    assert t.update([seg(0, 1, " one"), seg(1, 2, " two.")]) == [seg(1, 2, " two.")]
    assert t.only_repeats([seg(1, 2, " two.", False)])
    assert not t.only_repeats([seg(1, 2, " two.", False), seg(2, 3, " three", False)])
    assert not t.only_repeats([]) and not t.only_repeats([seg(1, 2, " two.")])
    assert t.update([seg(1, 2, " two.", False)]) == []
    assert t.pending == []
    assert t.text(include_pending=True) == "one two."
    assert [s.text for s in t.last(3)] == [" one", " two."]
    # an open segment that differs from the last completed one is in progress
    t.update([seg(2, 3, " two.", False)])
    assert t.text(include_pending=True) == "one two. two."


SEGS = [seg(0.0, 1.5, " Hello there."), seg(1.5, 3661.25, " General Kenobi!"), seg(3661.25, 3662, "  ")]


def test_srt():
    assert render(SEGS, "srt") == (
        "1\n00:00:00,000 --> 00:00:01,500\nHello there.\n\n"
        "2\n00:00:01,500 --> 01:01:01,250\nGeneral Kenobi!\n")


def test_vtt():
    assert render(SEGS, "vtt") == (
        "WEBVTT\n\n00:00:00.000 --> 00:00:01.500\nHello there.\n\n"
        "00:00:01.500 --> 01:01:01.250\nGeneral Kenobi!\n")


def test_txt():
    assert render(SEGS, "txt") == "Hello there.\nGeneral Kenobi!\n"
    assert render([], "txt") == ""


def test_json_with_words():
    words = [Word(0.0, 0.5, " Hello", 0.9), Word(0.5, 1.5, " there.", 0.8)]
    data = json.loads(render([seg(0, 1.5, " Hello there.", words=words)], "json", language="en", source="x.wav"))
    assert data["language"] == "en" and data["source"] == "x.wav"
    assert data["text"] == "Hello there."
    assert data["segments"] == [{"start": 0.0, "end": 1.5, "text": "Hello there.", "words": [
        {"start": 0.0, "end": 0.5, "word": "Hello", "probability": 0.9},
        {"start": 0.5, "end": 1.5, "word": "there.", "probability": 0.8}]}]


def test_unknown_format_is_refused():
    with pytest.raises(ValueError, match="unknown transcript format"):
        render(SEGS, "docx")


def test_format_from_extension_and_write(tmp_path):
    assert format_from_path("a/b.VTT") == "vtt"
    assert format_from_path("a/b.json") == "json"
    assert format_from_path("a/b.out") == "srt"
    path = write_transcript(tmp_path / "new" / "t.txt", SEGS)
    assert path.read_text() == "Hello there.\nGeneral Kenobi!\n"
    assert not list(tmp_path.glob("new/*.part"))
    path = write_transcript(tmp_path / "t.out", SEGS, fmt="vtt")
    assert path.read_text().startswith("WEBVTT")
