import json

from whisper_live.rooms.lines import Line, completed_event, partial_event
from whisper_live.rooms.reader import TOO_FAR_BEHIND, Reader


def line(seq, publisher=1, text="hello"):
    return completed_event(Line(seq, publisher, "Ann", float(seq), seq + 0.5, text))


def partial(publisher, text):
    return partial_event(publisher, "Ann", 0.0, 1.0, text)


def kinds(events):
    return [(e.kind, json.loads(e.data).get("text")) for e in events]


def test_a_partial_replaces_the_stale_partial_of_the_same_publisher_only():
    reader = Reader(None)
    reader.offer(partial(1, "hel"))
    reader.offer(partial(2, "other"))
    reader.offer(partial(1, "hello wor"))
    assert kinds(reader.take()) == [("partial", "other"), ("partial", "hello wor")]


def test_a_completed_line_drops_its_publishers_older_partial_and_comes_first():
    reader = Reader(None)
    reader.offer(partial(1, "hello wo"))
    reader.offer(partial(2, "bye"))
    reader.offer(line(1, publisher=1, text="hello world"))
    assert kinds(reader.take()) == [("completed", "hello world"), ("partial", "bye")]
    assert reader.take() == []


def test_completed_lines_are_never_dropped_a_reader_too_far_behind_is_closed_instead():
    reader = Reader(None, max_pending=3)
    for seq in (1, 2, 3):
        assert reader.offer(line(seq))
    assert not reader.offer(line(4))
    assert reader.closed == TOO_FAR_BEHIND
    events = reader.take()
    assert [e.kind for e in events] == ["end"]
    assert json.loads(events[0].data)["reason"] == TOO_FAR_BEHIND
    assert not reader.offer(line(5))


def test_wake_is_called_once_per_burst_until_the_reader_takes():
    woken = []
    reader = Reader(None, wake=lambda: woken.append(1))
    reader.offer(partial(1, "a"))
    reader.offer(line(1))
    reader.offer(partial(1, "b"))
    assert len(woken) == 1
    reader.take()
    reader.offer(partial(1, "c"))
    assert len(woken) == 2


def test_close_keeps_pending_lines_then_ends():
    reader = Reader(None)
    reader.offer(line(1))
    reader.close("the room ended")
    assert [e.kind for e in reader.take()] == ["completed", "end"]
    assert not reader.offer(line(2))


def test_a_reader_whose_completed_line_waits_unsent_longer_than_max_lag_is_dropped():
    now = [0.0]
    reader = Reader(None, max_lag=30.0, clock=lambda: now[0])
    assert reader.offer(line(1))
    now[0] = 20.0
    assert reader.offer(partial(1, "still"))  # partials alone never make it late
    now[0] = 31.0
    assert not reader.offer(partial(1, "more"))
    assert reader.closed == TOO_FAR_BEHIND
    assert [json.loads(e.data)["type"] for e in reader.take()] == ["end"]


def test_a_reader_that_takes_its_lines_is_never_late():
    now = [0.0]
    reader = Reader(None, max_lag=30.0, clock=lambda: now[0])
    for step in range(10):
        now[0] = step * 20.0
        assert reader.offer(line(step + 1))
        assert [e.kind for e in reader.take()] == ["completed"]
    assert reader.closed is None
