import json
from types import SimpleNamespace as Seg

from whisper_live.rooms.reader import Reader
from whisper_live.rooms.room import Room


def seg(start, end, text, **more):
    return Seg(start=start, end=end, text=text, **more)


def texts(events):
    return [(e.kind, json.loads(e.data).get("speaker"), json.loads(e.data).get("text")) for e in events]


def test_lines_of_publishers_who_joined_at_different_times_sort_on_the_rooms_clock():
    room = Room("r", public=True, reader_token="t", epoch=100.0)
    ann = room.join("Ann", origin=100.0)
    bob = room.join("Bob", origin=105.0)  # Bob's stream began 5 s after the room's
    room.apply(ann, [seg(7.0, 8.0, "ann at seven")], [])
    room.apply(bob, [seg(0.5, 1.5, "bob at five and a half")], [])  # arrives later, spoken earlier
    room.apply(ann, [seg(2.0, 3.0, "ann at two")], [])
    lines = room.transcript()
    assert [(line.speaker, line.text, line.start) for line in lines] == [
        ("Ann", "ann at two", 2.0), ("Bob", "bob at five and a half", 5.5), ("Ann", "ann at seven", 7.0)]
    assert [line.seq for line in lines] == [3, 2, 1]


def test_a_reader_gets_completed_and_partial_text_with_the_speaker():
    room = Room("r", public=True, reader_token="t", epoch=0.0)
    ann = room.join("Ann", origin=0.0)
    reader = Reader(room)
    room.add_reader(reader)
    room.apply(ann, [seg(0.0, 1.0, " Hello.")], [seg(1.0, 1.5, " How"), seg(1.5, 2.0, " are")])
    assert texts(reader.take()) == [("completed", "Ann", "Hello."), ("partial", "Ann", "How are")]


def test_a_late_reader_gets_the_last_lines_in_time_order_then_the_text_in_progress_then_live():
    room = Room("r", public=True, reader_token="t", epoch=0.0)
    ann = room.join("Ann", origin=0.0)
    for i in range(5):
        room.apply(ann, [seg(float(i), i + 0.5, f"line {i}")], [seg(i + 0.5, i + 0.9, "in progress")])
    late = Reader(room)
    room.add_reader(late, backlog=2)
    assert texts(late.take()) == [("completed", "Ann", "line 3"), ("completed", "Ann", "line 4"),
                                  ("partial", "Ann", "in progress")]
    room.apply(ann, [seg(5.0, 5.5, "line 5")], [])
    assert texts(late.take()) == [("completed", "Ann", "line 5"), ("partial", "Ann", "")]


def test_a_reconnecting_reader_gets_every_line_after_the_last_it_saw():
    room = Room("r", public=True, reader_token="t", epoch=0.0)
    ann = room.join("Ann", origin=0.0)
    for i in range(30):
        room.apply(ann, [seg(float(i), i + 0.5, f"line {i}")], [])
    again = Reader(room)
    room.add_reader(again, after_seq=3)
    got = [json.loads(e.data) for e in again.take() if e.kind == "completed"]
    assert [g["seq"] for g in got] == list(range(4, 31))


def test_diarization_labels_appear_beside_the_publishers_name():
    room = Room("r", public=True, reader_token="t", epoch=0.0)
    hall = room.join("Hall mic", origin=0.0)
    room.apply(hall, [seg(0.0, 1.0, "question", speaker="SPEAKER_01")], [])
    line = room.transcript()[0]
    assert (line.speaker, line.label, line.who) == ("Hall mic", "SPEAKER_01", "Hall mic (SPEAKER_01)")


def test_a_reader_too_far_behind_is_dropped_and_the_others_get_everything():
    room = Room("r", public=True, reader_token="t", epoch=0.0)
    ann = room.join("Ann", origin=0.0)
    slow, quick = Reader(room, max_pending=4), Reader(room, max_pending=4)
    room.add_reader(slow)
    room.add_reader(quick)
    received, dropped = [], []
    for i in range(10):
        dropped += room.apply(ann, [seg(float(i), i + 0.5, f"line {i}")], [])
        received += [e for e in quick.take() if e.kind == "completed"]
    assert dropped == [slow]
    assert list(room.readers) == [quick.id]
    assert len(received) == 10


def test_the_room_is_empty_from_when_its_last_publisher_leaves_and_their_partial_is_cleared():
    room = Room("r", public=True, reader_token="t", epoch=0.0)
    ann, bob = room.join("Ann", 0.0), room.join("", 0.0)
    assert bob.speaker == "Speaker 2"
    reader = Reader(room)
    room.add_reader(reader)
    room.apply(ann, [], [seg(0.0, 1.0, "unfinished")])
    room.leave(ann, now=10.0)
    assert room.empty_since is None
    assert texts(reader.take())[-1] == ("partial", "Ann", "")
    room.leave(bob, now=12.0)
    assert room.empty_since == 12.0


class Ticks:
    """A monotonic clock the test moves."""

    def __init__(self):
        self.now = 0.0

    def __call__(self):
        return self.now


def test_a_reader_gets_at_most_one_partial_per_publisher_every_partial_every_the_newest_one():
    clock = Ticks()
    room = Room("r", public=True, reader_token="t", epoch=0.0, partial_every=0.25, monotonic=clock)
    ann, bob = room.join("Ann", 0.0), room.join("Bob", 0.0)
    reader = Reader(room)
    room.add_reader(reader)
    room.apply(ann, [], [seg(0.0, 0.5, "one")])
    assert texts(reader.take()) == [("partial", "Ann", "one")]
    assert room.take_release_due() is None  # nothing held
    clock.now = 0.1
    room.apply(ann, [], [seg(0.0, 0.7, "one two")])
    room.apply(bob, [], [seg(0.0, 0.3, "hi")])  # another publisher's are not held for Ann's
    clock.now = 0.2
    room.apply(ann, [], [seg(0.0, 0.9, "one two three")])
    assert texts(reader.take()) == [("partial", "Bob", "hi")]
    assert room.take_release_due() == 0.25  # once
    assert room.take_release_due() is None
    clock.now = 0.25
    room.release_partials()
    assert texts(reader.take()) == [("partial", "Ann", "one two three")]  # the newest; the older never sent
    clock.now = 0.3
    room.apply(ann, [], [seg(0.0, 1.0, "one two three four")])
    assert reader.take() == [] and room.take_release_due() == 0.5


def test_a_completed_line_is_never_held_and_takes_the_newest_partial_along():
    clock = Ticks()
    room = Room("r", public=True, reader_token="t", epoch=0.0, partial_every=0.25, monotonic=clock)
    ann = room.join("Ann", 0.0)
    reader = Reader(room)
    room.add_reader(reader)
    room.apply(ann, [], [seg(0.0, 0.5, "hello wor")])
    assert texts(reader.take()) == [("partial", "Ann", "hello wor")]
    clock.now = 0.1
    room.apply(ann, [], [seg(0.0, 0.6, "hello world and")])
    assert reader.take() == []
    clock.now = 0.15
    room.apply(ann, [seg(0.0, 0.6, "hello world.")], [seg(0.6, 0.8, "and")])
    assert texts(reader.take()) == [("completed", "Ann", "hello world."), ("partial", "Ann", "and")]
    clock.now = 0.3
    assert room.release_partials() == [] and reader.take() == []  # the held partial went with the line
    late = Reader(room)
    room.add_reader(late)
    assert texts(late.take())[-1] == ("partial", "Ann", "and")


def test_a_held_partial_of_a_publisher_who_leaves_is_not_sent():
    clock = Ticks()
    room = Room("r", public=True, reader_token="t", epoch=0.0, partial_every=0.25, monotonic=clock)
    ann = room.join("Ann", 0.0)
    reader = Reader(room)
    room.add_reader(reader)
    room.apply(ann, [], [seg(0.0, 0.5, "bye")])
    clock.now = 0.1
    room.apply(ann, [], [seg(0.0, 0.6, "bye now")])
    room.leave(ann, now=1.0)
    clock.now = 0.3
    room.release_partials()
    assert texts(reader.take()) == [("partial", "Ann", "")]
