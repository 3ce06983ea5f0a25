"""Whether a room reader's client still takes what is sent to it, told from its TCP connection.

A reader that stops reading is noticed by its queue only once every buffer between it and the server is
full (the client's and the server's socket buffers, the server's 64 KB write buffer): at a speaker's few
hundred bytes a second, many minutes. The kernel knows sooner. Once the client's receive buffer is full it
advertises a zero window, and what the server sent waits in its send queue unacknowledged. A
:class:`LinkWatch` looks at that: bytes in the send queue (``TIOCOUTQ``) and the bytes the peer has
acknowledged so far (``tcpi_bytes_acked`` of ``TCP_INFO``). A connection with bytes waiting whose
acknowledged count has not moved for ``max_lag`` seconds has a client that stopped reading (or a link
that is gone), and its reader is dropped. A client that reads slowly still acknowledges, and is kept.

The watch needs the connection's socket, which ASGI does not hand to an app. :class:`WithTransport`, the
outermost layer of the API's app, finds the transport behind the ``send`` callable uvicorn gives it (its
HTTP and WebSocket protocols keep it as ``transport``) and puts it in the request's scope under
:data:`TRANSPORT` (and that protocol under ``PROTOCOL``), before any middleware wraps ``send``. Where there
is none (another server, a test client), or the platform lacks these socket options (not Linux), there is
no watch and the reader is judged by its queue alone.
"""

from __future__ import annotations

import fcntl
import socket
import struct
import termios
from typing import Callable, Optional

from whisper_live.api.direct_send import PROTOCOL

TRANSPORT = "whisper_live.transport"  # the scope's key of the connection's transport (WithTransport)
BYTES_ACKED_OFFSET = 120  # struct tcp_info: tcpi_bytes_acked, a u64 (Linux 4.1 and later)
TCP_INFO_SIZE = 128


def transport_of(send: Callable) -> Optional[object]:
    """The asyncio transport behind an ASGI ``send`` (uvicorn's), else None."""
    owner = getattr(send, "__self__", None)
    transport = getattr(owner, "transport", None)
    return transport if transport is not None and hasattr(transport, "get_extra_info") else None


class WithTransport:
    """An ASGI app that passes each HTTP or WebSocket connection's transport down in ``scope[TRANSPORT]``, and
    the protocol object that owns it in ``scope[PROTOCOL]`` (for :mod:`whisper_live.api.direct_send`)."""

    def __init__(self, app):
        self.app = app

    async def __call__(self, scope, receive, send) -> None:
        if scope.get("type") in ("http", "websocket"):
            transport = transport_of(send)
            if transport is not None:
                scope[TRANSPORT] = transport
                scope[PROTOCOL] = send.__self__
        await self.app(scope, receive, send)


def bytes_acked(info: bytes) -> Optional[int]:
    """``tcpi_bytes_acked`` of a ``TCP_INFO`` answer, if it is long enough to hold it."""
    if len(info) < BYTES_ACKED_OFFSET + 8:
        return None
    return struct.unpack_from("=Q", info, BYTES_ACKED_OFFSET)[0]


class LinkWatch:
    """One connection's progress: :meth:`stalled` says whether its peer took nothing for ``max_lag`` s."""

    def __init__(self, transport, sock: socket.socket, now: float):
        self._transport = transport
        self._sock = sock
        self._acked: Optional[int] = None
        self._progress_at = now  # when the peer last acknowledged something, or had nothing waiting

    @classmethod
    def of(cls, scope: dict, now: float) -> Optional["LinkWatch"]:
        """The watch of the request's TCP connection (``scope[TRANSPORT]``), or None where it cannot be had."""
        transport = scope.get(TRANSPORT)
        sock = transport.get_extra_info("socket") if transport is not None else None
        if sock is None or getattr(sock, "family", None) not in (socket.AF_INET, socket.AF_INET6):
            return None
        watch = cls(transport, sock, now)
        return watch if watch._read() is not None else None

    def _read(self) -> Optional[tuple[int, int]]:
        """(bytes waiting in the send queue, bytes acknowledged so far), None if the socket cannot say."""
        try:
            waiting = struct.unpack("i", fcntl.ioctl(self._sock.fileno(), termios.TIOCOUTQ, b"\0" * 4))[0]
            acked = bytes_acked(self._sock.getsockopt(socket.IPPROTO_TCP, socket.TCP_INFO, TCP_INFO_SIZE))
        except (OSError, ValueError, AttributeError):
            return None
        return None if acked is None else (waiting, acked)

    def stalled(self, now: float, max_lag: float) -> bool:
        """Whether bytes have waited for the peer with none acknowledged for more than ``max_lag`` s."""
        read = self._read()
        if read is None:
            return False  # (the socket is closed: the reader's own end says so)
        waiting, acked = read
        if waiting == 0 or acked != self._acked:
            self._acked, self._progress_at = acked, now
            return False
        return now - self._progress_at > max_lag

    def cut(self) -> None:
        """Close the connection at once, dropping what waits for the peer (a graceful close would wait for it)."""
        self._transport.abort()
