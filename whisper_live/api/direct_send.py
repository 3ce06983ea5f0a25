"""A room reader's events written to its connection at once, without a coroutine step or the ASGI layers.

A line for a thousand readers is a thousand ASGI ``send`` calls through every middleware, each a coroutine
step of its reader; with a thousand readers that is most of the loop's work per line, and the last reader
waits for all of it. The connection's own protocol object can frame the bytes synchronously: uvicorn's HTTP
protocol keeps an ``h11.Connection`` (chunked bodies), its WebSocket protocol a ``websockets`` sans-I/O
``ServerProtocol`` (frames, and compression where the client asked for it). A :class:`DirectSend` frames a
batch with that object and writes it to the transport, exactly as uvicorn's ``send`` would, when the
connection can take it now: the response is under way, the transport is not asking writers to wait, the
connection is open. Otherwise it declines and the reader's coroutine sends the batch through ASGI, which
waits for the transport; the response's start and end always go that way.

The protocol object is found behind the ``send`` callable (``scope[PROTOCOL]``, put there by
:class:`~whisper_live.api.reader_link.WithTransport`); with another server, or another HTTP implementation
of uvicorn's, there is none and every batch goes through ASGI.
"""

from __future__ import annotations

from typing import Callable, Optional, Sequence

PROTOCOL = "whisper_live.protocol"  # the scope's key of the connection's uvicorn protocol object


class DirectSend:
    """``write(parts)`` sends ``parts`` (SSE bytes for HTTP, UTF-8 texts for a WebSocket) now and returns
    True, or returns False when the connection cannot take them now (nothing was sent)."""

    def __init__(self, write: Callable[[Sequence[bytes]], bool]):
        self.write = write

    @classmethod
    def of(cls, scope: dict) -> Optional["DirectSend"]:
        owner = scope.get(PROTOCOL)
        if owner is None:
            return None
        if scope.get("type") == "http":
            return _http(owner)
        if scope.get("type") == "websocket":
            return _websocket(owner)
        return None


def _http(cycle) -> Optional[DirectSend]:
    """uvicorn's h11 request-response cycle: body data framed by its ``h11.Connection``."""
    try:
        import h11
    except ImportError:
        return None
    conn, transport, flow = (getattr(cycle, name, None) for name in ("conn", "transport", "flow"))
    if not isinstance(conn, h11.Connection) or transport is None or flow is None:
        return None

    def write(parts: Sequence[bytes]) -> bool:
        if (cycle.disconnected or not cycle.response_started or cycle.response_complete or flow.write_paused
                or transport.is_closing()):
            return False
        transport.write(conn.send(h11.Data(data=b"".join(parts))))
        return True

    return DirectSend(write)


def _websocket(protocol) -> Optional[DirectSend]:
    """uvicorn's ``websockets-sansio`` protocol: text frames made by its ``websockets`` ServerProtocol."""
    try:
        from websockets.protocol import Protocol, State
    except ImportError:
        return None
    conn, transport, writable = (getattr(protocol, name, None) for name in ("conn", "transport", "writable"))
    if not isinstance(conn, Protocol) or transport is None or writable is None:
        return None

    def write(parts: Sequence[bytes]) -> bool:
        if (protocol.disconnected or protocol.close_sent or not protocol.handshake_complete
                or protocol.initial_response is not None or not writable.is_set() or transport.is_closing()
                or conn.state is not State.OPEN):
            return False
        for text in parts:
            conn.send_text(text)
        transport.write(b"".join(conn.data_to_send()))
        return True

    return DirectSend(write)
