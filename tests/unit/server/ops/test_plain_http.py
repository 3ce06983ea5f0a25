"""Plain HTTP answers on the WebSocket port (whisper_live/server/ops/plain_http.py)."""

from __future__ import annotations

from websockets.datastructures import Headers
from websockets.http11 import Request

from whisper_live.server.ops.plain_http import closing_response, is_websocket_upgrade


def test_a_response_closes_its_connection_and_carries_its_length():
    reply = closing_response(429, b"slow down\n", "text/plain", headers=(("Retry-After", "3"),))
    assert (reply.status_code, reply.reason_phrase, reply.body) == (429, "Too Many Requests", b"slow down\n")
    assert reply.headers["Connection"] == "close" and reply.headers["Content-Length"] == "10"
    assert reply.headers["Cache-Control"] == "no-store" and reply.headers["X-Content-Type-Options"] == "nosniff"
    assert reply.headers["Retry-After"] == "3"
    assert closing_response(200, b"", "text/html", cache_control="no-cache").headers["Cache-Control"] == "no-cache"


def test_an_upgrade_is_any_websocket_token_in_any_upgrade_header():
    def request(*upgrades):
        return Request("/", Headers([("Upgrade", value) for value in upgrades]))

    assert is_websocket_upgrade(request("websocket"))
    assert is_websocket_upgrade(request("h2c, WebSocket"))
    assert is_websocket_upgrade(request("h2c", " websocket "))
    assert not is_websocket_upgrade(request())
    assert not is_websocket_upgrade(request("h2c"))
