"""The benchmark's room readers (``--readers``, ``--stalled-readers``): many readers of the speakers' room on one
asyncio loop in a thread of their own, each time-stamping the completed lines it receives with the time its
socket received them (the kernel's time stamp, so that the bench's own work is not counted as delay).

Readers alternate between Server-Sent Events (``/v1/rooms/ROOM/events``, read from a raw socket) and the
WebSocket (``/v1/rooms/ROOM/watch``). SSE readers retry while the room does not exist yet (404): the room is
made by the first speaker's SERVER_READY. The WebSocket refuses a reader after its handshake (an ``error``
message, then a close), and takes a reader of a room without lines silently, so WebSocket readers connect
once an SSE reader found the room; a refusal they still get is reported as their failure. *Stalled* readers
connect with a small ``SO_RCVBUF`` and never read (their sockets are not read from at all, so their
receive buffers fill and the server's bytes wait unacknowledged); at the end each is drained to learn
whether the server dropped it (an ``end`` event saying it was too far behind, or its connection closed
while the room still lives). The figures are computed by
:mod:`whisper_live.bench.room_figures`.
"""

from __future__ import annotations

import asyncio
import json
import os
import threading
import time
from dataclasses import dataclass, field
from typing import Optional

from whisper_live.bench.reader_sockets import Connection, clock, open_stream
from whisper_live.bench.reader_sockets import connect as connect_reader


STALLED_RCVBUF = 4096  # bytes; the kernel doubles it and keeps a minimum of its own
CONNECT_AT_ONCE = 50  # readers connecting at the same time
RETRY = 0.2  # s between tries while the room does not exist yet
WS_TEXT, WS_CLOSE, WS_PING, WS_PONG = 0x1, 0x8, 0x9, 0xA  # WebSocket opcodes (RFC 6455)


@dataclass
class Received:
    seq: int
    speaker: str
    text: str
    t: float  # clock time of arrival


@dataclass
class ReaderLog:
    name: str
    kind: str  # "sse" or "ws"
    stalled: bool = False
    connected: bool = False
    lines: dict[int, Received] = field(default_factory=dict)  # seq -> first arrival
    end_reason: Optional[str] = None  # the server's end event
    failure: Optional[str] = None
    dropped: Optional[bool] = None  # (stalled readers) the server let go of it


def sse_lines(buffer: bytearray) -> list[str]:
    """The complete ``data:`` payloads in ``buffer`` (an SSE body, de-chunked or not), removed from it."""
    out = []
    while True:
        end = buffer.find(b"\n\n")
        if end < 0:
            return out
        block, buffer[:end + 2] = bytes(buffer[:end]), b""
        for line in block.split(b"\n"):
            if line.startswith(b"data: "):
                out.append(line[6:].decode("utf-8", "replace"))


def record(log: ReaderLog, payload: str, t: float) -> None:
    """One event a reader received (text in progress is not parsed: a thousand readers share one loop)."""
    if payload.startswith('{"type": "partial"'):
        return
    try:
        event = json.loads(payload)
    except ValueError:
        return
    if event.get("type") == "completed" and event.get("seq") not in log.lines:
        log.lines[event["seq"]] = Received(event["seq"], event.get("speaker", ""), event.get("text", ""), t)
    elif event.get("type") == "end":
        log.end_reason = event.get("reason")
    elif event.get("type") == "error":  # a WebSocket reader refused after its handshake: never a reader
        log.connected = False
        log.failure = f"refused: {event.get('message')}"


def ws_frames(buffer: bytearray) -> list[tuple[int, bytes]]:
    """The complete (opcode, payload) frames a server sent (unmasked) in ``buffer``, removed from it."""
    out = []
    while len(buffer) >= 2:
        size, at = buffer[1] & 0x7F, 2
        if size == 126:
            size, at = int.from_bytes(buffer[2:4], "big"), 4
        elif size == 127:
            size, at = int.from_bytes(buffer[2:10], "big"), 10
        if len(buffer) < at + size:
            break
        out.append((buffer[0] & 0x0F, bytes(buffer[at:at + size])))
        del buffer[:at + size]
    return out


class _Dechunk:
    """HTTP/1.1 chunked transfer coding to plain bytes, fed as it arrives."""

    def __init__(self):
        self._raw = bytearray()

    def feed(self, data: bytes) -> bytes:
        self._raw += data
        out = bytearray()
        while True:
            head = self._raw.find(b"\r\n")
            if head < 0:
                return bytes(out)
            size = int(self._raw[:head].split(b";")[0] or b"0", 16)
            if len(self._raw) < head + 2 + size + 2:
                return bytes(out)
            out += self._raw[head + 2:head + 2 + size]
            del self._raw[:head + 2 + size + 2]


# A byte a WebSocket ping or close frame starts with: what a WebSocket reader must answer while the run goes on.
_WS_CONTROL = (bytes([0x80 | WS_PING]), bytes([0x80 | WS_CLOSE]))


class _Arrivals:
    """One reader's arrivals, kept with their times and parsed at the end of the run (or at once when one may
    hold a frame to answer), so that the bench's loop does as little as it can while the server sends."""

    def __init__(self, parser, parse_now: tuple = ()):
        self._parser = parser
        self._parse_now = parse_now
        self._pending: list[tuple[bytes, float]] = []

    def add(self, data: bytes, t: float) -> None:
        self._pending.append((data, t))
        if any(marker in data for marker in self._parse_now):
            self.parse()

    def parse(self) -> None:
        pending, self._pending = self._pending, []
        for data, t in pending:
            self._parser(data, t)


class ReaderRun:
    """``count`` readers of which ``stalled`` never read, on their own loop; :meth:`connect` lets them in,
    :meth:`finish` ends them and returns their logs."""

    def __init__(self, events_url: str, watch_url: str, count: int, stalled: int, connect_timeout: float = 120.0):
        self.urls = {"sse": events_url, "ws": watch_url}
        self.logs = [ReaderLog(f"r{i}", "sse" if i % 2 == 0 else "ws") for i in range(count)]
        self.logs += [ReaderLog(f"x{i}", "sse" if i % 2 == 0 else "ws", stalled=True) for i in range(stalled)]
        self.connect_timeout = connect_timeout
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, name="bench-readers", daemon=True)
        self._tasks: list[asyncio.Future] = []
        self._sockets: dict[str, tuple] = {}  # stalled readers: name -> (reader, writer)
        self._connecting: Optional[threading.Thread] = None  # connect_in_background's thread
        self._arrivals: list[_Arrivals] = []  # the reading readers'

    def connect(self, gate: Optional[threading.Event] = None) -> None:
        """Connect every reader (trying again while the room does not exist); returns once all are in (or
        failed), and then sets ``gate``: the speakers may stream."""
        self._thread.start()
        try:
            asyncio.run_coroutine_threadsafe(self._connect_all(), self._loop).result(self.connect_timeout + 30)
        finally:
            if gate is not None:
                gate.set()

    def connect_in_background(self) -> threading.Event:
        """:meth:`connect` on a thread of its own; the gate it sets."""
        gate = threading.Event()
        self._connecting = threading.Thread(target=self.connect, args=(gate,), name="bench-readers-connect",
                                            daemon=True)
        self._connecting.start()
        return gate

    def finish(self, settle: float = 2.0, drain: float = 10.0) -> list[ReaderLog]:
        """After ``settle`` s for the last lines: stalled readers drained, every reader closed; the logs."""
        time.sleep(settle)
        if self._connecting is not None:  # (it returns once every reader is in or failed)
            self._connecting.join(self.connect_timeout + 30)
        try:
            asyncio.run_coroutine_threadsafe(self._finish(drain), self._loop).result(drain + 30)
        finally:
            self._loop.call_soon_threadsafe(self._loop.stop)
            self._thread.join(10)
        for arrivals in self._arrivals:
            arrivals.parse()
        return self.logs

    async def _connect_all(self) -> None:
        gate = asyncio.Semaphore(CONNECT_AT_ONCE)
        deadline = clock() + self.connect_timeout
        started = [asyncio.Event() for _ in self.logs]
        self._room_open = asyncio.Event()  # an SSE reader got in: the room exists
        if not any(log.kind == "sse" for log in self.logs):
            self._room_open.set()

        async def one(log: ReaderLog, ready: asyncio.Event) -> None:
            try:
                if log.kind == "ws":
                    try:
                        await asyncio.wait_for(self._room_open.wait(), max(0.0, deadline - clock()))
                    except asyncio.TimeoutError:
                        log.failure = "the room never opened"
                        return
                async with gate:  # (only the opening: a reader in reads without holding it)
                    opened = await self._open_reader(log, deadline)
                ready.set()
                if opened is not None:
                    await self._read(log, opened)
            except Exception as exc:
                log.failure = log.failure or f"{type(exc).__name__}: {exc}"
            finally:
                ready.set()

        for log, ready in zip(self.logs, started):
            self._tasks.append(asyncio.ensure_future(one(log, ready)))
        await asyncio.gather(*(ready.wait() for ready in started))

    async def _open_reader(self, log: ReaderLog, deadline: float) -> Optional[Connection]:
        """Connect ``log``'s reader (trying again while the room does not exist): the connection of a reader
        that will read, None for a stalled one (kept open) or one refused (its ``failure`` set)."""
        while True:
            if log.stalled:
                reader, writer, head = await open_stream(log.kind, self.urls[log.kind], STALLED_RCVBUF)
                close = writer.close
            else:
                connection = await connect_reader(log.kind, self.urls[log.kind])
                head, close = connection.head.result(), connection.close
            status = head.split(" ", 2)[1] if head.count(" ") >= 2 else "?"
            if status in ("200", "101"):
                break
            close()
            if status != "404" or clock() > deadline:
                log.failure = f"refused: {head.splitlines()[0] if head else 'no answer'}"
                return None
            await asyncio.sleep(RETRY)
        log.connected = True
        if log.kind == "sse":
            self._room_open.set()
        if log.stalled:
            # The loop reads nothing more from it (a stream would go on reading into its own buffer, so that
            # the kernel would see a client taking everything), until it is drained at the end.
            writer.transport.pause_reading()
            self._sockets[log.name] = (reader, writer)
            return None
        return connection

    async def _read(self, log: ReaderLog, connection: Connection) -> None:
        """Read a connected reader's lines until the run ends it (or the server closes it)."""
        if log.kind == "sse":
            chunked = "transfer-encoding: chunked" in connection.head.result().lower()
            arrivals = _Arrivals(self._sse_parser(log, _Dechunk() if chunked else None))
        else:
            arrivals = _Arrivals(self._ws_parser(log, connection), parse_now=_WS_CONTROL)
        self._arrivals.append(arrivals)
        connection.start(arrivals.add)
        try:
            await connection.closed
        finally:
            connection.close()

    @staticmethod
    def _sse_parser(log: ReaderLog, dechunk: Optional[_Dechunk]):
        buffer = bytearray()

        def parse(data: bytes, t: float) -> None:
            buffer.extend(dechunk.feed(data) if dechunk else data)
            for payload in sse_lines(buffer):
                record(log, payload, t)

        return parse

    @staticmethod
    def _ws_parser(log: ReaderLog, connection: Connection):
        def mask(data: bytes) -> bytes:  # (a client masks what it sends)
            key = os.urandom(4)
            return key + bytes(b ^ key[i % 4] for i, b in enumerate(data))

        buffer = bytearray()

        def parse(data: bytes, t: float) -> None:
            buffer.extend(data)
            for opcode, payload in ws_frames(buffer):
                if opcode == WS_TEXT:
                    record(log, payload.decode("utf-8", "replace"), t)
                elif opcode == WS_PING and len(payload) < 126:  # the server's keep-alive: answered, else it closes
                    connection.write(bytes([0x80 | WS_PONG, 0x80 | len(payload)]) + mask(payload))
                elif opcode == WS_CLOSE:
                    connection.close()

        return parse

    async def _finish(self, drain: float) -> None:
        await asyncio.gather(*(self._drain(log, drain) for log in self.logs if log.name in self._sockets))
        for task in self._tasks:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)

    async def _drain(self, log: ReaderLog, limit: float) -> None:
        """A stalled reader reads at last: dropped if the server told it so or closed its connection."""
        reader, writer = self._sockets.pop(log.name)
        writer.transport.resume_reading()
        seen = bytearray()
        deadline = clock() + limit
        closed = False
        try:
            while clock() < deadline:
                try:
                    data = await asyncio.wait_for(reader.read(65536), min(1.0, deadline - clock()))
                except asyncio.TimeoutError:
                    break  # nothing more, and still open
                if not data:
                    closed = True
                    break
                seen += data
        except OSError:
            closed = True
        finally:
            writer.close()
        if b'"type": "error"' in seen:  # a WebSocket reader refused after its handshake
            log.connected, log.failure = False, "refused"
        if b"too far behind" in seen:
            log.end_reason = "too far behind"
        log.dropped = closed or log.end_reason is not None
