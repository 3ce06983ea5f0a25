"""The room readers' figures, from made-up speaker and reader logs (no sockets, no model)."""

import pytest

from whisper_live.bench import room_figures
from whisper_live.bench.metrics import ClientLog, Update
from whisper_live.bench.readers import ReaderLog, Received
from whisper_live.protocol import Segment


def speaker(name, lines):
    """A speaker's client that saw each (text, t) completed, each in its own update (and a partial before)."""
    log = ClientLog(name=name)
    for k, (text, t) in enumerate(lines):
        log.updates.append(Update(t - 0.5, [Segment(k, k + 1, text[:3], completed=False)]))
        log.updates.append(Update(t, [Segment(k, k + 1, f" {text} ", completed=True)]))
    return log


def reader(name, got, kind="sse", **kwargs):
    """A reader that received each (seq, speaker, text, t)."""
    log = ReaderLog(name, kind, connected=True, **kwargs)
    for seq, who, text, t in got:
        log.lines[seq] = Received(seq, who, text, t)
    return log


def test_each_line_is_matched_in_order_and_its_delay_is_from_the_speakers_client():
    ann = speaker("s0", [("one", 10.0), ("two", 12.0), ("three", 14.0)])
    fast = reader("r0", [(1, "s0", "one", 10.01), (2, "s0", "two", 12.02), (3, "s0", "three", 14.03)])
    slow = reader("r1", [(1, "s0", "one", 10.1), (2, "s0", "two", 12.2), (3, "s0", "three", 14.3)], kind="ws")
    figures = room_figures.reader_figures([ann], [fast, slow])
    assert figures["readers"] == 2 and figures["sse"] == 1 and figures["ws"] == 1
    assert figures["lines_per_reader"] == 3
    assert figures["every_reader_got_every_line"] and figures["missing_lines"] == 0
    assert figures["delay_s"]["n"] == 6
    assert figures["delay_s"]["max"] == pytest.approx(0.3)
    assert figures["worst_reader_p99_s"] == pytest.approx(0.298, abs=1e-3)
    rows = {row["reader"]: row for row in figures["per_reader"]}
    assert rows["r0"]["delay_p50_s"] == pytest.approx(0.02)
    assert rows["r1"]["delay_p50_s"] == pytest.approx(0.2)


def test_a_reader_missing_a_line_is_counted_and_the_rest_still_match():
    ann = speaker("s0", [("one", 10.0), ("two", 12.0), ("three", 14.0)])
    partial = reader("r0", [(1, "s0", "one", 10.01), (3, "s0", "three", 14.05)])
    figures = room_figures.reader_figures([ann], [partial])
    assert not figures["every_reader_got_every_line"]
    assert figures["missing_lines"] == 1 and figures["complete"] == 0
    assert figures["delay_s"]["n"] == 2 and figures["delay_s"]["max"] == pytest.approx(0.05)


def test_two_speakers_lines_are_told_apart_by_name():
    ann = speaker("s0", [("hello", 10.0)])
    bob = speaker("s1", [("hello", 11.0)])  # the same words, another speaker
    only_bob = reader("r0", [(1, "s1", "hello", 11.5)])
    figures = room_figures.reader_figures([ann, bob], [only_bob])
    assert figures["lines_per_reader"] == 2
    assert figures["missing_lines"] == 1
    assert figures["delay_s"]["max"] == pytest.approx(0.5)


def test_stalled_readers_are_reported_apart_and_not_in_the_delays():
    ann = speaker("s0", [("one", 10.0)])
    live = reader("r0", [(1, "s0", "one", 10.01)])
    cut = ReaderLog("x0", "sse", stalled=True, connected=True, dropped=True)
    told = ReaderLog("x1", "ws", stalled=True, connected=True, dropped=True, end_reason="too far behind")
    kept = ReaderLog("x2", "sse", stalled=True, connected=True, dropped=False)
    figures = room_figures.reader_figures([ann], [live, cut, told, kept])
    assert figures["readers"] == 1 and figures["every_reader_got_every_line"]
    assert figures["stalled"] == {"readers": 3, "connected": 3, "dropped": 2, "told_too_far_behind": 1}


def test_no_reader_connected_is_not_every_reader_getting_every_line():
    ann = speaker("s0", [("one", 10.0)])
    never = ReaderLog("r0", "sse", failure="refused: HTTP/1.1 503")
    figures = room_figures.reader_figures([ann], [never])
    assert figures["connected"] == 0 and not figures["every_reader_got_every_line"]


def test_the_summary_line_says_who_got_everything_and_the_delays():
    ann = speaker("s0", [("one", 10.0)])
    figures = room_figures.reader_figures([ann], [reader("r0", [(1, "s0", "one", 10.02)]),
                                                  ReaderLog("x0", "sse", stalled=True, connected=True, dropped=True)])
    line = room_figures.summary_line(figures)
    assert "1/1 got all 1 lines" in line and "p99 0.02 s" in line and "dropped 1/1" in line


def line(seq, who, text, start):
    return {"seq": seq, "publisher": 1, "speaker": who, "start": start, "end": start + 1, "text": text}


def test_a_meeting_transcript_with_every_segment_of_each_speaker_in_time_order_is_complete():
    ann, bob = speaker("s0", [("one", 10.0), ("two", 12.0)]), speaker("s1", [("three", 11.0)])
    lines = [line(1, "s0", "one", 0.5), line(3, "s1", "three", 1.0), line(2, "s0", "two", 2.0)]
    figures = room_figures.transcript_figures([ann, bob], lines)
    assert figures["complete"] and figures["time_ordered"] and figures["labelled"]
    assert figures["speakers"] == {"s0": {"segments": 2, "in_transcript": 2, "missing": 0},
                                   "s1": {"segments": 1, "in_transcript": 1, "missing": 0}}
    assert "every segment of each: True" in room_figures.transcript_line(figures)


def test_a_transcript_missing_a_segment_out_of_order_or_unnamed_says_so():
    ann, bob = speaker("s0", [("one", 10.0), ("two", 12.0)]), speaker("s1", [("three", 11.0)])
    figures = room_figures.transcript_figures(
        [ann, bob], [line(2, "s0", "two", 2.0), line(1, "s0", "one", 0.5), line(3, "", "three", 1.0)])
    assert figures["missing_segments"] == 2  # s0's "one" after "two"; s1's "three" not under its name
    assert not figures["complete"] and not figures["time_ordered"] and not figures["labelled"]
    assert room_figures.transcript_figures([ann], None) == {"fetched": False, "complete": False}
