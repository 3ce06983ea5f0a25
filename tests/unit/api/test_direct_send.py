"""Writes framed by the connection's own protocol object (whisper_live/api/direct_send.py), through a real
uvicorn with the API's settings, read by real HTTP and WebSocket clients."""

import http.client
import socket
import threading
import time

import pytest
import uvicorn
from websockets.sync.client import connect

from whisper_live.api.direct_send import DirectSend
from whisper_live.api.reader_link import WithTransport

seen = {}


async def _app(scope, receive, send):
    if scope["type"] == "http":
        await send({"type": "http.response.start", "status": 200, "headers": [(b"content-type", b"text/plain")]})
        direct = DirectSend.of(scope)
        seen["http"] = direct is not None
        await send({"type": "http.response.body", "body": b"a", "more_body": True})
        seen["http_wrote"] = direct.write([b"b", b"c"])
        await send({"type": "http.response.body", "body": b"d", "more_body": False})
        seen["http_after_end"] = direct.write([b"e"])
    elif scope["type"] == "websocket":
        await receive()  # websocket.connect
        direct = DirectSend.of(scope)
        seen["ws_before_accept"] = direct.write([b"too early"])
        await send({"type": "websocket.accept"})
        seen["ws_wrote"] = direct.write(["héllo".encode(), b"world"])
        await send({"type": "websocket.send", "text": "!"})
        await send({"type": "websocket.close", "code": 1000})
        seen["ws_after_close"] = direct.write([b"too late"])


@pytest.fixture(scope="module")
def server():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    config = uvicorn.Config(WithTransport(_app), host="127.0.0.1", port=port, log_level="warning", lifespan="off",
                            loop="auto", http="h11", ws="websockets-sansio")
    running = uvicorn.Server(config)
    thread = threading.Thread(target=running.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not running.started:
        assert time.monotonic() < deadline and thread.is_alive()
        time.sleep(0.02)
    yield port
    running.should_exit = True
    thread.join(10)


def test_body_data_written_directly_arrives_between_the_asgi_parts_in_valid_chunks(server):
    conn = http.client.HTTPConnection("127.0.0.1", server, timeout=10)
    conn.request("GET", "/")
    response = conn.getresponse()
    assert response.getheader("transfer-encoding") == "chunked"
    assert response.read() == b"abcd"
    conn.close()
    assert seen["http"] and seen["http_wrote"]
    assert seen["http_after_end"] is False  # the response is complete: nothing more may go


def test_text_frames_written_directly_arrive_as_messages_and_only_while_the_connection_is_open(server):
    with connect(f"ws://127.0.0.1:{server}/watch") as ws:
        assert [ws.recv(timeout=10) for _ in range(3)] == ["héllo", "world", "!"]
    assert seen["ws_before_accept"] is False
    assert seen["ws_wrote"]
    assert seen["ws_after_close"] is False
