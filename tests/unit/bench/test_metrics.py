"""The benchmark's figures, from made-up client logs (no sockets, no model)."""

import pytest

from whisper_live.bench import metrics
from whisper_live.bench.metrics import ClientLog, Update
from whisper_live.protocol import Segment

FRAME = 0.256


def paced_log(seconds: float, start: float = 100.0, **kwargs) -> ClientLog:
    """A client that sent one 256 ms frame every 256 ms, the k-th (from 1) at start + k * 0.256."""
    log = ClientLog(name=kwargs.pop("name", "c0"), **kwargs)
    k = 1
    while k * FRAME <= seconds + 1e-9:
        log.record_frame(k * FRAME, start + k * FRAME)
        k += 1
    return log


def seg(start, end, text, completed):
    return Segment(start=start, end=end, text=text, completed=completed)


def test_send_time_is_the_frame_holding_the_position():
    log = paced_log(5.0)
    # 1.0 s lies in the 4th frame (0.768..1.024], sent at 100 + 1.024.
    found = metrics.send_time(log, 1.0, arrival=200.0)
    assert found.t == pytest.approx(101.024) and not found.overshoot
    # A frame end itself belongs to that frame, even when rounded to milliseconds.
    assert metrics.send_time(log, 0.512, 200.0).t == pytest.approx(100.512)
    assert metrics.send_time(log, 0.513, 200.0).t == pytest.approx(100.512)
    assert metrics.send_time(log, 0.0, 200.0).t == pytest.approx(100.256)


def test_send_time_never_after_the_reply():
    log = paced_log(5.0)
    # Position 4.0 s was sent at ~104.096, but the reply came at 102.0: take the last frame sent before it.
    found = metrics.send_time(log, 4.0, arrival=102.0)
    assert found.overshoot and found.t == pytest.approx(101.792)
    assert metrics.send_time(log, 1.0, arrival=100.1) is None  # nothing sent yet


def test_final_latency_uses_first_arrival_and_dedups_by_start():
    log = paced_log(6.0, reference="hello there general kenobi")
    log.updates = [
        Update(101.5, [seg(0.0, 1.0, " hello", False)]),
        Update(102.3, [seg(0.0, 1.0, " Hello there.", True), seg(1.0, 2.0, " gen", False)]),
        # The same completed segment again (last-n window), later: must not count twice.
        Update(103.5, [seg(0.0, 1.0, " Hello there.", True), seg(1.0, 2.5, " General Kenobi!", True)]),
        Update(104.0, [seg(0.0, 1.0, " Hello there.", True), seg(1.0, 2.5, " General Kenobi!", True)]),
    ]
    lat = metrics.final_latencies(log)
    # End 1.0 -> frame sent at 101.024; end 2.5 -> frame (2.304, 2.56] sent at 102.56.
    assert lat.values == pytest.approx([102.3 - 101.024, 103.5 - 102.56])
    assert metrics.transcript(log) == "Hello there. General Kenobi!"
    figures = metrics.client_figures(log)
    assert figures["wer"] == 0.0
    assert figures["segments"] == 2 and figures["words"] == 4
    assert figures["final_latency_s"]["n"] == 2
    assert figures["final_latency_s"]["max"] == pytest.approx(round(102.3 - 101.024, 3))


def test_transcript_is_in_start_order_and_first_text_wins():
    log = paced_log(10.0)
    log.updates = [
        Update(104.0, [seg(3.0, 4.0, "three", True)]),
        Update(105.0, [seg(1.0, 2.0, "one", True), seg(3.0, 4.0, "THREE CHANGED", True)]),
    ]
    assert metrics.transcript(log) == "one three"


def test_partial_latency_counts_only_updates_that_reach_new_audio():
    log = paced_log(6.0)
    log.updates = [
        Update(101.4, [seg(0.0, 1.0, "a", False)]),                          # new: end 1.0
        Update(101.6, [seg(0.0, 1.0, "a b", False)]),                        # same reach: not counted
        Update(102.0, [seg(0.0, 1.0, "a", True), seg(1.0, 1.5, "b", False)]),  # new: 1.5
        Update(102.5, [seg(0.0, 1.0, "a", True)]),                           # no in-progress segment
        Update(103.0, [seg(1.0, 1.4, "b", False)]),                          # shrinks: not counted
        Update(103.9, [seg(1.0, 3.0, "b c", False)]),                        # new: 3.0
    ]
    lat = metrics.partial_latencies(log)
    # 1.0 -> 101.024; 1.5 -> frame (1.28, 1.536] at 101.536; 3.0 -> frame (2.816, 3.072] at 103.072.
    assert lat.values == pytest.approx([101.4 - 101.024, 102.0 - 101.536, 103.9 - 103.072])


def test_partial_not_counted_when_a_completed_segment_already_reached_further():
    log = paced_log(6.0)
    log.updates = [
        Update(102.0, [seg(0.0, 1.5, "a", True)]),
        Update(102.2, [seg(1.5, 1.4, "b", False)]),  # in-progress ends before 1.5: nothing new
        Update(102.5, [seg(1.5, 1.8, "b", False)]),  # 1.8 > 1.5: new
    ]
    assert len(metrics.partial_latencies(log).values) == 1


def test_the_servers_open_repeat_of_a_completed_segment_is_no_partial_nor_a_segment():
    log = paced_log(6.0)
    log.updates = [
        Update(101.4, [seg(0.0, 1.0, "a", False)]),
        Update(102.0, [seg(0.0, 1.2, "a.", True)]),
        Update(102.0, [seg(0.0, 1.2, "a.", False)]),  # nothing in progress: the completed one repeated open
    ]
    assert len(metrics.partial_latencies(log).values) == 1
    assert [item.segment.text for item in metrics.completed_segments(log)] == ["a."]
    assert metrics.transcript(log) == "a."


def test_percentiles_match_linear_interpolation():
    values = [1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0, 9.0, 10.0]
    assert metrics.percentile(values, 50) == pytest.approx(5.5)
    assert metrics.percentile(values, 90) == pytest.approx(9.1)
    assert metrics.percentile(values, 100) == 10.0
    assert metrics.percentile([3.0], 90) == 3.0
    assert metrics.percentile([], 50) is None
    assert metrics.summary([]) == {"n": 0, "p50": None, "p90": None, "max": None, "mean": None}


def test_aggregate_pools_speakers_and_counts_silent_words():
    a = paced_log(4.0, name="a", reference="one two three four")
    a.updates = [Update(102.0, [seg(0.0, 1.0, "one two", True)]), Update(104.5, [seg(1.0, 3.0, "three", True)])]
    a.finished = True
    b = paced_log(4.0, name="b", reference="one two three four")
    b.updates = [Update(101.5, [seg(0.0, 1.0, "one two three four", True)])]
    b.finished = True
    quiet = paced_log(4.0, name="s", speaking=False)
    quiet.updates = [Update(103.0, [seg(0.0, 1.0, "Thank you.", True)])]
    quiet.finished = True
    figures = metrics.aggregate([a, b, quiet])
    assert figures["clients"] == 2 and figures["silent"] == 1
    assert figures["all_finished"] and figures["finished"] == 3
    assert figures["final_latency_s"]["n"] == 3  # silent client's segments are not in the latency pool
    assert figures["wer"] == pytest.approx(1 / 8)  # one deletion over 8 reference words
    assert figures["wer_max"] == pytest.approx(1 / 4)
    assert figures["silent_words"] == 2
    # the silent client's phrase (ending at 1.0 s, sent at 100 + 4 * 0.256, arrived at 103.0) is reported apart
    assert figures["silent_final_latency_s"]["n"] == 1
    assert figures["silent_final_latency_s"]["max"] == pytest.approx(103.0 - (100 + 4 * FRAME))
    assert metrics.meets_target(figures, target_p90=5.0)
    assert not metrics.meets_target(figures, target_p90=0.5)
    assert not metrics.meets_target(figures, target_p90=5.0, target_max=1.0)


def test_wer_by_source_groups_speakers_by_what_they_streamed():
    a = paced_log(4.0, name="a", reference="one two three four")
    a.source, a.updates = "first.wav", [Update(102.0, [seg(0.0, 1.0, "one two three", True)])]
    b = paced_log(4.0, name="b", reference="one two three four")
    b.source, b.updates = "first.wav", [Update(102.0, [seg(0.0, 1.0, "one two three four", True)])]
    c = paced_log(4.0, name="c", reference="five six")
    c.source, c.updates = "second.wav", [Update(102.0, [seg(0.0, 1.0, "five seven", True)])]
    quiet = paced_log(4.0, name="q", speaking=False)
    rows = metrics.wer_by_source([a, c, b, quiet])
    assert rows == [{"audio": "first.wav", "clients": 2, "wer": 0.125},
                    {"audio": "second.wav", "clients": 1, "wer": 0.5}]
    assert metrics.client_figures(c)["audio"] == "second.wav"


def test_latency_by_part_splits_each_stream_where_its_audio_ends():
    # Two loops of 2 s: the stream is 4 s long; segments ending in its first half are the first loop's.
    a = paced_log(4.096, name="a")
    a.updates = [Update(101.5, [seg(0.0, 1.0, "one", True)]), Update(102.5, [seg(1.0, 1.9, "two", True)]),
                 Update(105.0, [seg(2.2, 4.0, "three", True)])]
    b = paced_log(4.096, name="b")
    b.updates = [Update(103.0, [seg(2.2, 3.0, "four", True)])]
    quiet = paced_log(4.096, name="q", speaking=False)
    quiet.updates = [Update(101.2, [seg(0.0, 1.0, "Thank you.", True)])]
    first, second = metrics.latency_by_part([a, b, quiet], 2)
    # a: 1.0 s (sent 101.024) at 101.5, 1.9 s (sent 102.048) at 102.5; 4.0 s (sent 104.096) at 105.0;
    # b: 3.0 s (sent 103.072) at 103.0 is a reply before that audio was sent: the last frame before 103.0.
    assert first["n"] == 2 and first["max"] == pytest.approx(101.5 - 101.024, abs=1e-3)
    assert second["n"] == 2 and second["max"] == pytest.approx(105.0 - 104.096, abs=1e-3)
    assert metrics.latency_by_part([quiet], 3) == [metrics.summary([])] * 3
    c = paced_log(4.096, name="c")
    c.updates = [Update(101.5, [seg(0.0, 1.9, "fi", False)]), Update(104.3, [seg(0.0, 4.0, "five", False)])]
    first, second = metrics.latency_by_part([c], 2, metrics.partial_latencies)
    assert (first["n"], second["n"]) == (1, 1) and second["max"] == pytest.approx(104.3 - 104.096, abs=1e-3)


def test_target_fails_when_a_client_did_not_finish_or_was_refused():
    a = paced_log(2.0, name="a", reference="x")
    a.updates = [Update(101.5, [seg(0.0, 1.0, "x", True)])]
    a.finished = True
    late = paced_log(2.0, name="late", reference="x")
    late.failure = "no DISCONNECT within 30 s of END_OF_AUDIO"
    figures = metrics.aggregate([a, late])
    assert figures["not_finished"] == ["late"]
    assert not metrics.meets_target(figures, target_p90=10.0)
    late.finished = True
    refused = ClientLog(name="r", reference="x", admission="wait", waits=1)
    figures = metrics.aggregate([a, refused])
    assert figures["replies"]["wait"] == 1
    assert figures["wer"] == 0.0  # a refused client sent nothing: it is not scored
    assert not metrics.meets_target(figures, target_p90=10.0)


def test_speakers_without_any_completed_segment_do_not_meet_the_target():
    a = paced_log(2.0, name="a", reference="x")
    a.finished = True
    figures = metrics.aggregate([a])
    assert figures["wer"] == 1.0
    assert not metrics.meets_target(figures, target_p90=10.0)
