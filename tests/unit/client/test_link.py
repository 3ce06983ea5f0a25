"""The bitrate policy on a fake clock and a fake send backlog, and the socket backlog it reads."""

import socket

import pytest

from whisper_live.client.link import (DOWN_EVERY, LONGEST_UP_AFTER, UP_AFTER, AdaptiveBitrate, BitrateAdapter,
                                      unsent_bytes)


class Clock:
    def __init__(self):
        self.now = 100.0

    def __call__(self):
        return self.now


class Link:
    """A link that carries ``capacity`` bytes/s; the audio adds bytes at the adapter's bitrate."""

    def __init__(self, capacity: float):
        self.capacity = capacity
        self.backlog = 0.0

    def tick(self, kbps: int, seconds: float) -> int:
        self.backlog = max(0.0, self.backlog + (kbps * 125 - self.capacity) * seconds)
        return int(self.backlog)


def run(adapter, clock, link, seconds, step=0.1):
    history = []
    for _ in range(int(seconds / step)):
        clock.now += step
        history.append(adapter.update(link.tick(adapter.kbps, step)))
    return history


def test_steps_down_while_the_backlog_grows_until_the_link_keeps_up():
    """A 48 kbit/s link with room for about 14 kbit/s of audio (the rest is headers): 32 -> 24 -> 16 -> 12,
    one step a second at most, then the backlog drains and the bitrate holds."""
    clock, link = Clock(), Link(capacity=14_000 / 8)
    adapter = BitrateAdapter(32, clock=clock)
    history = run(adapter, clock, link, 30)
    assert history[-1] == 12
    changes = [i for i in range(1, len(history)) if history[i] != history[i - 1]]
    assert [history[i] for i in changes] == [24, 16, 12]
    assert all(b - a >= DOWN_EVERY / 0.1 - 1e-9 for a, b in zip(changes, changes[1:]))
    assert link.backlog < 0.1 * 12 * 125  # drained at 12 kbit/s


def test_a_shrinking_backlog_holds_the_bitrate():
    clock = Clock()
    adapter = BitrateAdapter(16, clock=clock)
    backlog = 40_000
    for _ in range(50):  # far above the high mark, but draining
        clock.now += 0.2
        backlog -= 500
        assert adapter.update(backlog) == 16


def test_steps_up_after_the_link_kept_up_for_a_while_and_backs_off_when_that_fails():
    clock, link = Clock(), Link(capacity=20_000 / 8)  # 16 fits, 24 does not
    adapter = BitrateAdapter(8, clock=clock)
    history = run(adapter, clock, link, UP_AFTER - 0.5)
    assert set(history) == {8}  # not before UP_AFTER seconds of a clear link
    history = run(adapter, clock, link, 3 * UP_AFTER)
    assert 16 in history and history[-1] in (16, 24)
    run(adapter, clock, link, 120)
    assert adapter.up_after > UP_AFTER  # each try at 24 failed soon: tries get rarer
    assert adapter.up_after <= LONGEST_UP_AFTER
    tail = run(adapter, clock, link, 60)
    assert tail.count(24) < len(tail) / 4


def test_a_lagging_transcript_holds_a_step_up_and_no_backlog_reading_holds_everything():
    clock = Clock()
    adapter = BitrateAdapter(12, clock=clock)
    for _ in range(100):
        clock.now += 0.5
        assert adapter.update(0, lag_seconds=9.0) == 12
        assert adapter.update(None) == 12
    clock.now += 0.5
    adapter.update(0, lag_seconds=1.0)
    clock.now += UP_AFTER
    assert adapter.update(0, lag_seconds=1.0) == 16


class FakeEncoder:
    def __init__(self):
        self.bitrate_kbps = 0

    def set_bitrate(self, kbps):
        self.bitrate_kbps = kbps


class FakeSession:
    def __init__(self):
        self.backlog = 0

    def unsent_bytes(self):
        return self.backlog


class Segment:
    def __init__(self, end):
        self.end = end


def test_adaptive_bitrate_sets_the_encoder_and_measures_the_transcript_lag():
    clock, encoder, session = Clock(), FakeEncoder(), FakeSession()
    link = AdaptiveBitrate(encoder, 24, clock=clock)
    assert encoder.bitrate_kbps == 24
    session.backlog = 10_000  # 3.3 s of audio at 24 kbit/s
    for _ in range(25):
        clock.now += 0.1
        link.adapt(session, 0.1)
    assert encoder.bitrate_kbps == 12 and link.changes == 2
    link.heard([Segment(0.5), Segment(1.2)])
    assert link.lag_seconds == pytest.approx(2.5 - 1.2)


def test_unsent_bytes_reads_a_tcp_sockets_send_queue():
    """A peer that reads nothing: what the client writes beyond the peer's window stays unacknowledged."""
    server = socket.create_server(("127.0.0.1", 0))
    client = socket.create_connection(server.getsockname())
    peer, _ = server.accept()
    try:
        if unsent_bytes(client) is None:
            pytest.skip("this system does not report a socket's send queue")
        assert unsent_bytes(client) == 0
        client.setblocking(False)
        written = 0
        try:
            while written < 64 << 20:
                written += client.send(b"x" * 65536)
        except BlockingIOError:
            pass
        assert 0 < unsent_bytes(client) <= written
    finally:
        for s in (peer, client, server):
            s.close()
