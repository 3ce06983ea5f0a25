"""The bench's room readers' sockets: each a bare socket with its HTTP or WebSocket request written by hand,
read on the readers' loop with the time the kernel received each arrival.

A thousand readers share one loop in one process on the server's two cores, where a thousand devices would
each read their own. So that the bench's own work is not counted as delay, :class:`Connection` times what
arrives by the kernel's time stamp (``SO_TIMESTAMPNS``), not by when the loop got to it, and :class:`Poller`
reads the sockets on a timer rather than being woken by each arrival. :func:`open_stream` opens a reader as
an asyncio stream instead (the readers that never read).
"""

from __future__ import annotations

import asyncio
import base64
import os
import select
import socket
import struct
import time
import weakref
from typing import Callable, Optional
from urllib.parse import urlsplit

clock = time.monotonic  # (the clock of the speakers' clients too, bench/clients.py: delays subtract the two)

POLL = 0.002  # s between reads of the reading readers' sockets (Poller)


def request(kind: str, url: str) -> bytes:
    parts = urlsplit(url)
    path = parts.path + (f"?{parts.query}" if parts.query else "")
    host = f"Host: {parts.hostname}:{parts.port}\r\n"
    if kind == "sse":
        return f"GET {path} HTTP/1.1\r\n{host}Accept: text/event-stream\r\n\r\n".encode()
    key = base64.b64encode(os.urandom(16)).decode()
    return (f"GET {path} HTTP/1.1\r\n{host}Upgrade: websocket\r\nConnection: Upgrade\r\n"
            f"Sec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n\r\n").encode()


async def _connected(url: str, rcvbuf: Optional[int] = None) -> socket.socket:
    """A non-blocking socket connected to ``url``'s host and port (closed again if that fails)."""
    parts = urlsplit(url)
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    try:
        if rcvbuf:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, rcvbuf)
        sock.setblocking(False)
        await asyncio.get_running_loop().sock_connect(sock, (parts.hostname, parts.port))
    except BaseException:
        sock.close()
        raise
    return sock


async def open_stream(kind: str, url: str, rcvbuf: Optional[int]):
    """A socket with the request sent and its response head read: (reader, writer, head)."""
    reader, writer = await asyncio.open_connection(sock=await _connected(url, rcvbuf), limit=2**20)
    writer.write(request(kind, url))
    head = await reader.readuntil(b"\r\n\r\n")
    return reader, writer, head.decode("latin-1")


# SO_TIMESTAMPNS (Linux; Python's socket module does not name it): recvmsg then says when the kernel received
# the bytes, on CLOCK_REALTIME, in a control message of the same type.
SO_TIMESTAMPNS = getattr(socket, "SO_TIMESTAMPNS", 35)
_STAMP_SPACE = socket.CMSG_SPACE(16)


def kernel_time(ancillary, now_real: float, now_mono: float) -> Optional[float]:
    """When the kernel received what ``recvmsg`` returned with ``ancillary``, on :data:`clock` (None without a
    time stamp)."""
    for level, kind, data in ancillary:
        if level == socket.SOL_SOCKET and kind == SO_TIMESTAMPNS and len(data) >= 16:
            seconds, nanoseconds = struct.unpack("qq", data[:16])
            return now_mono - (now_real - (seconds + nanoseconds / 1e9))
    return None


class Poller:
    """The reading readers' sockets, read every :data:`POLL` seconds rather than on each arrival.

    On loopback the kernel does a receiver's work inside the sender's ``send``, and that includes waking the
    receiving thread when it sleeps waiting for data. A thousand readers woken one by one would charge the
    server for a wake-up per reader and per line, which readers on other machines never cost it. Polled on a
    timer (their own epoll set, which no thread waits on), the readers' thread is woken by its clock, not by
    the server's sends. The arrivals' times are the kernel's, so the poll's period adds nothing to them."""

    def __init__(self, loop: asyncio.AbstractEventLoop):
        self._loop = loop
        self._epoll = select.epoll()
        self._readable: dict[int, Callable[[], None]] = {}
        self._timer: Optional[asyncio.TimerHandle] = None

    def add(self, fd: int, readable: Callable[[], None]) -> None:
        self._epoll.register(fd, select.EPOLLIN)
        self._readable[fd] = readable
        if self._timer is None:
            self._timer = self._loop.call_later(POLL, self._poll)

    def remove(self, fd: int) -> None:
        if self._readable.pop(fd, None) is not None:
            self._epoll.unregister(fd)

    def _poll(self) -> None:
        for fd, _ in self._epoll.poll(0):
            readable = self._readable.get(fd)
            if readable is not None:
                readable()
        self._timer = self._loop.call_later(POLL, self._poll) if self._readable else None

    @classmethod
    def of(cls, loop: asyncio.AbstractEventLoop) -> "Poller":
        poller = _POLLERS.get(loop)
        if poller is None:
            poller = _POLLERS[loop] = cls(loop)
        return poller


_POLLERS: "weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, Poller]" = weakref.WeakKeyDictionary()


class Connection:
    """A reading reader's connection: the response head, then each arrival handed to ``on_data`` with the time
    the kernel received it (``SO_TIMESTAMPNS``), not the time the bench's loop got to it."""

    def __init__(self, sock: socket.socket):
        self._loop = asyncio.get_running_loop()
        self._poller = Poller.of(self._loop)
        self._sock = sock
        self.head: asyncio.Future = self._loop.create_future()  # the response head (text)
        self.closed: asyncio.Future = self._loop.create_future()
        self._buffer = bytearray()
        self._on_data = None
        self._rest: tuple[bytes, float] = (b"", 0.0)  # what came after the head before ``start``
        sock.setsockopt(socket.SOL_SOCKET, SO_TIMESTAMPNS, 1)
        self._poller.add(sock.fileno(), self._readable)

    def write(self, data: bytes) -> None:
        """Send a few bytes (a pong); a connection that cannot take them is closed."""
        try:
            if self._sock.send(data) < len(data):
                self.close()
        except OSError:
            self.close()

    def close(self) -> None:
        if self.closed.done():
            return
        self._poller.remove(self._sock.fileno())
        self._sock.close()
        if not self.head.done():
            self.head.set_exception(ConnectionError("closed before its response"))
        self.closed.set_result(None)

    def _readable(self) -> None:
        try:
            data, ancillary, _, _ = self._sock.recvmsg(65536, _STAMP_SPACE)
        except (BlockingIOError, InterruptedError):
            return
        except OSError:
            data, ancillary = b"", []
        if not data:
            self.close()
            return
        t = kernel_time(ancillary, time.time(), clock())
        self._received(data, clock() if t is None else t)

    def _received(self, data: bytes, t: float) -> None:
        if self._on_data is not None:
            self._on_data(data, t)
            return
        self._buffer += data
        end = self._buffer.find(b"\r\n\r\n")
        if end >= 0 and not self.head.done():
            self._rest = (bytes(self._buffer[end + 4:]), t)
            self.head.set_result(self._buffer[:end + 4].decode("latin-1"))
            self._buffer = bytearray()

    def start(self, on_data) -> None:
        """Hand every arrival from now on (and what came with the head) to ``on_data(data, t)``."""
        self._on_data = on_data
        rest, t = self._rest
        if rest:
            on_data(rest, t)


async def connect(kind: str, url: str) -> Connection:
    """A reading reader's connection, its request sent and its response head read."""
    sock = await _connected(url)
    try:
        await asyncio.get_running_loop().sock_sendall(sock, request(kind, url))
    except BaseException:
        sock.close()
        raise
    connection = Connection(sock)
    try:
        await connection.head
    except BaseException:
        connection.close()
        raise
    return connection
