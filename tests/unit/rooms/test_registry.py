import json
import threading
import time
from types import SimpleNamespace as Seg

import pytest

from tests.unit.waits import wait_until
from whisper_live.rooms.reader import ROOM_ENDED
from whisper_live.rooms.registry import RoomError, RoomRegistry
from whisper_live.server.ops.metrics import Metrics
from tests.threads import NewThreads


class Clock:
    def __init__(self):
        self.now = 1000.0

    def __call__(self):
        return self.now


@pytest.fixture
def rooms():
    registry = RoomRegistry(linger=60.0, max_readers=3, clock=Clock(), tick=0.02, metrics=Metrics(gpu=False))
    yield registry
    registry.stop()


def test_a_private_room_opens_only_with_its_reader_token_and_never_another_room(rooms):
    ann = rooms.join("talk", "Ann", public=False)
    other = rooms.join("other", "Bob", public=False)
    token = ann.reader_token
    assert token and token != other.reader_token
    rooms.find("talk", token)
    for name, presented in (("talk", None), ("talk", "wrong"), ("other", token), ("nowhere", token)):
        with pytest.raises(RoomError) as refused:
            rooms.find(name, presented)
        assert refused.value.status == 404  # the same answer: nobody learns which private rooms exist


def test_a_public_room_needs_no_token_and_its_publisher_shows_none(rooms):
    ann = rooms.join("lecture", "Ann", public=True)
    assert ann.reader_token is None
    rooms.find("lecture", None)


def test_readers_have_their_own_limit(rooms):
    rooms.join("r", "Ann", public=True)
    readers = [rooms.open_reader("r", None) for _ in range(3)]
    with pytest.raises(RoomError) as refused:
        rooms.open_reader("r", None)
    assert refused.value.status == 503
    rooms.close_reader(readers[0])
    rooms.close_reader(rooms.open_reader("r", None))
    assert rooms.readers == 2


def test_publishing_only_posts_and_the_fan_out_thread_delivers(rooms):
    ann = rooms.join("r", "Ann", public=True)
    woken = threading.Event()
    reader = rooms.open_reader("r", None, wake=woken.set)
    gate = threading.Event()
    rooms.fanout.post(gate.wait)  # the fan-out thread is busy: publishing must not wait for it
    started = time.monotonic()
    for i in range(200):
        ann.publish([Seg(start=float(i), end=i + 0.5, text=f"line {i}")], [])
    assert time.monotonic() - started < 1.0
    assert reader.take() == []
    gate.set()
    woken.wait(5)
    wait_until(lambda: rooms.find("r", None).seq == 200)
    got = [json.loads(e.data)["text"] for e in reader.take() if e.kind == "completed"]
    assert got == [f"line {i}" for i in range(200)]


def test_a_room_ends_its_linger_after_the_last_publisher_left_and_its_readers_are_told(rooms):
    clock = rooms._clock
    ann = rooms.join("r", "Ann", public=True)
    reader = rooms.open_reader("r", None)
    ann.publish([Seg(start=0.0, end=1.0, text="hello")], [])
    ann.leave()
    wait_until(lambda: rooms.find("r", None).empty_since is not None)
    clock.now += 59.0
    time.sleep(0.1)
    assert [line.text for line in rooms.find("r", None).transcript()] == ["hello"]  # still fetchable
    clock.now += 2.0
    wait_until(lambda: rooms.rooms == 0)
    assert reader.take()[-1].kind == "end" and reader.closed == ROOM_ENDED
    with pytest.raises(RoomError):
        rooms.find("r", None)
    rooms.close_reader(reader)
    assert rooms.readers == 0


def test_metrics_count_readers_and_drops():
    metrics = Metrics(gpu=False)
    rooms = RoomRegistry(max_pending=2, tick=0.02, metrics=metrics)
    try:
        ann = rooms.join("r", "Ann", public=True)
        rooms.open_reader("r", None)
        with pytest.raises(RoomError):
            rooms.open_reader("r2", None)
        for i in range(5):
            ann.publish([Seg(start=float(i), end=i + 0.5, text=f"line {i}")], [])
        wait_until(lambda: metrics.room_readers_dropped.labels(reason="too_far_behind")._value.get() == 1)
        body = metrics.exposition()[0].decode()
        assert "whisperlive_room_readers 1.0" in body  # a slot until the reader's connection closes it
        assert 'whisperlive_room_readers_rejected_total{reason="not_found"} 1.0' in body
    finally:
        rooms.stop()


def test_the_fan_out_thread_starts_with_the_first_room_and_is_joined_at_stop():
    threads = NewThreads()
    rooms = RoomRegistry(tick=0.02)
    assert threads.alive() == []
    rooms.join("r", "Ann")
    assert threads.count() == 1
    rooms.stop()
    assert threads.alive() == []
    assert not rooms.fanout.running


def test_partials_coming_faster_than_partial_every_reach_a_reader_thinned_and_the_newest_last():
    rooms = RoomRegistry(tick=0.02, partial_every=0.1)
    try:
        ann = rooms.join("r", "Ann", public=True)
        reader = rooms.open_reader("r", None)
        got = []
        started = time.monotonic()
        for i in range(40):  # 40 updates in about 0.2 s
            ann.publish([], [Seg(start=0.0, end=i + 0.5, text=f"word {i}")])
            time.sleep(0.005)
            got += reader.take()
        wait_until(lambda: (got.extend(reader.take()) or got) and json.loads(got[-1].data)["text"] == "word 39")
        elapsed = time.monotonic() - started
        assert all(e.kind == "partial" for e in got)
        assert len(got) <= elapsed / 0.1 + 2  # (one per 0.1 s, the first at once)
    finally:
        rooms.stop()
