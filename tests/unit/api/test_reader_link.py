"""Telling a client that stopped reading from its TCP connection (whisper_live/api/reader_link.py), on real
loopback sockets."""

from __future__ import annotations

import socket
import struct
from types import SimpleNamespace

import pytest

from tests.unit.own_loop import run_on_own_loop
from whisper_live.api.reader_link import TRANSPORT, LinkWatch, WithTransport, bytes_acked


@pytest.fixture
def pair():
    """(the server's end, the client's end) of a loopback TCP connection; the client's receive buffer small."""
    listener = socket.create_server(("127.0.0.1", 0))
    client = socket.socket()
    client.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    client.connect(listener.getsockname())
    server, _ = listener.accept()
    server.setblocking(False)
    listener.close()
    yield server, client
    server.close()
    client.close()


def _transport(sock):
    return SimpleNamespace(get_extra_info=lambda name: sock if name == "socket" else None, aborted=False)


def _fill(server: socket.socket, size: int = 200_000) -> int:
    sent = 0
    try:
        while sent < size:
            sent += server.send(b"z" * 4096)
    except BlockingIOError:
        pass
    return sent


def test_a_client_that_reads_nothing_is_stalled_once_nothing_is_acknowledged_for_max_lag(pair):
    server, client = pair
    watch = LinkWatch.of({TRANSPORT: _transport(server)}, now=0.0)
    assert watch is not None and not watch.stalled(0.0, max_lag=5.0)
    _fill(server)
    assert not watch.stalled(1.0, max_lag=5.0)  # bytes wait: the clock starts
    assert not watch.stalled(5.5, max_lag=5.0)
    assert watch.stalled(6.5, max_lag=5.0)


def test_a_client_that_reads_is_never_stalled(pair):
    server, client = pair
    watch = LinkWatch.of({TRANSPORT: _transport(server)}, now=0.0)
    for t in range(1, 20):
        _fill(server, 20_000)
        client.settimeout(1)
        client.recv(1 << 20)  # reads some: the server's queue is acknowledged bit by bit
        assert not watch.stalled(t * 10.0, max_lag=5.0)


def test_no_watch_without_a_tcp_socket():
    assert LinkWatch.of({}, now=0.0) is None
    a, b = socket.socketpair()
    try:
        assert LinkWatch.of({TRANSPORT: _transport(a)}, now=0.0) is None
    finally:
        a.close()
        b.close()


def test_tcp_info_s_acknowledged_bytes_are_read_where_the_answer_holds_them():
    info = bytes(120) + struct.pack("=Q", 123456) + bytes(8)
    assert bytes_acked(info) == 123456
    assert bytes_acked(bytes(100)) is None


async def _app(scope, receive, send):
    _app.scope = scope


def test_the_outermost_layer_passes_the_connection_s_transport_down():
    class Cycle:
        transport = _transport(None)

        async def send(self, message):
            pass

    cycle = Cycle()
    run_on_own_loop(WithTransport(_app)({"type": "http"}, None, cycle.send))
    assert _app.scope[TRANSPORT] is cycle.transport
    run_on_own_loop(WithTransport(_app)({"type": "http"}, None, lambda message: None))  # a send with no transport
    assert TRANSPORT not in _app.scope
