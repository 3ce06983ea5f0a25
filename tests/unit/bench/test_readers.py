"""The bench readers: parsing what the server sends (no sockets), how a run ends (a local HTTP server), and
when an arrival is timed (a local socket)."""

from whisper_live.bench import reader_sockets, readers
from whisper_live.bench.readers import ReaderLog


def test_sse_lines_takes_complete_events_and_keeps_the_rest():
    buffer = bytearray(b'retry: 2000\n\nid: 1\ndata: {"a": 1}\n\n: keep-alive\n\ndata: {"b"')
    assert readers.sse_lines(buffer) == ['{"a": 1}']
    assert bytes(buffer) == b'data: {"b"'
    buffer += b': 2}\n\n'
    assert readers.sse_lines(buffer) == ['{"b": 2}']


def test_chunked_bodies_are_joined_across_reads():
    dechunk = readers._Dechunk()
    assert dechunk.feed(b"5\r\nhel") == b""
    assert dechunk.feed(b"lo\r\n3\r\n wo\r\n") == b"hello wo"


def test_record_keeps_the_first_arrival_of_each_line_and_the_end():
    log = ReaderLog("r0", "ws")
    readers.record(log, '{"type": "completed", "seq": 3, "speaker": "s0", "text": "hi"}', 1.0)
    readers.record(log, '{"type": "completed", "seq": 3, "speaker": "s0", "text": "hi"}', 2.0)
    readers.record(log, '{"type": "partial", "publisher": 1, "text": "h"}', 2.5)
    readers.record(log, '{"type": "end", "reason": "the room ended"}', 3.0)
    assert list(log.lines) == [3] and log.lines[3].t == 1.0
    assert log.end_reason == "the room ended"


def test_websocket_frames_are_taken_whole_across_reads():
    text = b'{"type": "completed", "seq": 1}'
    big = b"x" * 300
    buffer = bytearray(bytes([0x81, len(text)]) + text + bytes([0x81, 126]) + len(big).to_bytes(2, "big") + big[:100])
    assert readers.ws_frames(buffer) == [(readers.WS_TEXT, text)]
    buffer += big[100:] + bytes([0x89, 0])
    assert readers.ws_frames(buffer) == [(readers.WS_TEXT, big), (readers.WS_PING, b"")]
    assert buffer == bytearray()


def test_a_websocket_refusal_after_the_handshake_is_the_readers_failure():
    log = ReaderLog("r1", "ws", connected=True)
    readers.record(log, '{"type": "error", "message": "no room \'talk\' here", "code": "not_found"}', 1.0)
    assert not log.connected and log.failure == "refused: no room 'talk' here"


def _holding_server():
    """A 127.0.0.1 server that answers every request with an SSE or WebSocket head and then keeps it open."""
    import socket
    import threading

    listener = socket.create_server(("127.0.0.1", 0))
    held = []

    def serve():
        while True:
            try:
                conn, _ = listener.accept()
            except OSError:
                return
            request = conn.recv(4096)
            held.append(conn)
            if b"Upgrade: websocket" in request:
                conn.sendall(b"HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n")
            else:
                conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\n\r\n")

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    return listener, held, thread


def test_more_readers_than_connect_at_once_all_get_in(monkeypatch):
    monkeypatch.setattr(readers, "CONNECT_AT_ONCE", 3)  # readers that read must not keep their place
    listener, held, thread = _holding_server()
    port = listener.getsockname()[1]
    run = readers.ReaderRun(f"http://127.0.0.1:{port}/v1/rooms/r/events", f"ws://127.0.0.1:{port}/v1/rooms/r/watch",
                            count=8, stalled=2, connect_timeout=10)
    try:
        run.connect()
        logs = run.finish(settle=0.0, drain=0.5)
    finally:
        listener.close()
        thread.join(5)
        for conn in held:
            conn.close()
    assert [log.failure for log in logs] == [None] * 10
    assert all(log.connected for log in logs)


def test_finish_waits_for_the_readers_still_connecting_and_leaves_no_thread():
    """Readers of a room that never appears (every request answered 404) are still connecting when the run
    finishes: finish() waits for their connect thread, which ends at the connect timeout."""
    import http.server
    import threading

    from whisper_live.bench.readers import ReaderRun

    class NotFound(http.server.BaseHTTPRequestHandler):
        def do_GET(self):  # noqa: N802 (http.server's name)
            self.send_response(404)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, *args):
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), NotFound)
    serving = threading.Thread(target=server.serve_forever, daemon=True)
    serving.start()
    try:
        base = f"127.0.0.1:{server.server_address[1]}/v1/rooms/nowhere"
        run = ReaderRun(f"http://{base}/events", f"ws://{base}/watch", 2, 0, connect_timeout=1.0)
        gate = run.connect_in_background()
        logs = run.finish(settle=0.0, drain=0.1)
    finally:
        server.shutdown()
        server.server_close()
        serving.join(5)
    assert gate.is_set()
    assert not any(t.name in ("bench-readers-connect", "bench-readers") for t in threading.enumerate())
    assert [log.failure is not None for log in logs] == [True, True]


def test_an_arrival_is_timed_when_the_kernel_received_it_not_when_the_loop_got_to_it():
    """The bench's loop is busy for 0.3 s while a line arrives: its time is still the arrival's."""
    import asyncio
    import socket
    import threading
    import time

    listener = socket.create_server(("127.0.0.1", 0))
    go, sent = threading.Event(), []

    def serve():
        conn, _ = listener.accept()
        with conn:
            conn.recv(4096)
            conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\n\r\n")
            go.wait(5)
            sent.append(reader_sockets.clock())
            conn.sendall(b'data: {"type": "completed"}\n\n')
            time.sleep(1.0)

    server = threading.Thread(target=serve, daemon=True)
    server.start()

    async def main():
        connection = await reader_sockets.connect("sse", f"http://127.0.0.1:{listener.getsockname()[1]}/events")
        arrivals = []
        connection.start(lambda data, t: arrivals.append(t))
        go.set()
        time.sleep(0.3)  # the loop is busy: the line waits in the socket
        busy_until = reader_sockets.clock()
        for _ in range(100):
            if arrivals:
                break
            await asyncio.sleep(0.01)
        connection.close()
        return arrivals, busy_until

    try:
        arrivals, busy_until = asyncio.run(main())
    finally:
        listener.close()
        server.join(5)
    assert len(arrivals) == 1
    assert arrivals[0] - sent[0] < 0.05 < busy_until - sent[0]
