"""A room reader on the API's event loop: the reader's queue (whisper_live/rooms/reader.py) wakes the loop,
and one coroutine sends what it holds, as Server-Sent Events or WebSocket messages.

Thousands of readers are thousands of coroutines on this one loop, not threads. The readers of one loop share
a :class:`LoopReaders`: the fan-out thread fills every reader's bounded queue, and the loop is told once at
the end of that burst (one ``call_soon_threadsafe`` for all the readers it woke, not one each: each is a write
to the loop's self-pipe and a hand-over of the GIL while the fan-out thread still works). There each woken
reader that is idle writes its events at once (whisper_live/api/direct_send.py); one that is busy sending, or
whose connection cannot take more now, is left to its coroutine. One timer sends the keep-alives of the idle
ones. Nothing here can make the fan-out thread, a publisher or another reader wait. A reader whose socket
stops taking data stops taking events; once its queue overflows, or its connection shows that its client
stopped taking data (a :class:`~whisper_live.api.reader_link.LinkWatch`, checked every :data:`STALL_CHECK`
seconds: bytes waiting, none acknowledged for the registry's ``max_lag``), it is closed (``too far behind``):
it gets an ``end`` event if it can still read one within :data:`GRACE` seconds, else its connection is cut.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import threading
from typing import Awaitable, Callable, Optional

from whisper_live.api.reader_link import LinkWatch
from whisper_live.rooms import RoomRegistry
from whisper_live.rooms.lines import Event

log = logging.getLogger(__name__)

HEARTBEAT = 15.0  # s between keep-alives to an idle reader (proxies close silent connections)
GRACE = 5.0  # s a closed reader has to take its end event before its connection is cut
STALL_CHECK = 5.0  # s between looks at the readers' connections for clients that stopped reading


class LoopReaders:
    """The live readers of one event loop and one room registry: woken together, kept alive by one timer."""

    def __init__(self, loop: asyncio.AbstractEventLoop, rooms: RoomRegistry):
        self._loop, self._rooms = loop, rooms
        self._lock = threading.Lock()
        self._woken: list[LiveReader] = []  # since the loop last took them
        self._readers: set[LiveReader] = set()  # (loop only)
        self._timer: Optional[asyncio.TimerHandle] = None
        self._check: Optional[asyncio.TimerHandle] = None  # the stall check's, while a reader has a LinkWatch

    @classmethod
    def of(cls, rooms: RoomRegistry) -> "LoopReaders":
        """Those of the running loop (made with its first reader)."""
        loop = asyncio.get_running_loop()
        found = rooms.loop_readers.get(loop)
        if found is None:
            found = rooms.loop_readers[loop] = cls(loop, rooms)
        return found

    def wake(self, live: "LiveReader") -> None:
        """(any thread; the reader's queue may hold its lock) ``live`` has events: the loop resumes it soon."""
        with self._lock:
            first = not self._woken
            self._woken.append(live)
        if first:  # (the others join the list the loop is about to take)
            self._rooms.fanout.at_burst_end(self._tell_loop)

    def add(self, live: "LiveReader") -> None:
        self._readers.add(live)
        if self._timer is None:
            self._timer = self._loop.call_later(HEARTBEAT, self._beat)
        if live.link is not None and self._check is None:
            self._check = self._loop.call_later(STALL_CHECK, self._check_links)

    def discard(self, live: "LiveReader") -> None:
        self._readers.discard(live)
        if not self._readers:
            for timer in (self._timer, self._check):
                if timer is not None:
                    timer.cancel()
            self._timer = self._check = None

    def _tell_loop(self) -> None:
        with contextlib.suppress(RuntimeError):  # the loop has stopped: nobody to tell
            self._loop.call_soon_threadsafe(self._resume)

    def _resume(self) -> None:  # on the loop
        with self._lock:
            woken, self._woken = self._woken, []
        for live in woken:
            live.resume()

    def _check_links(self) -> None:  # on the loop
        now, watched = self._loop.time(), False
        for live in list(self._readers):
            if live.link is None or live.reader.closed is not None:
                continue
            watched = True
            if live.link.stalled(now, self._rooms.max_lag):
                log.info("room %s: a reader whose client stopped reading was dropped", live.reader.room.name)
                self._rooms.drop_reader(live.reader)
                live.resume()  # (its grace starts now, even while its pump waits on a write)
        self._check = self._loop.call_later(STALL_CHECK, self._check_links) if watched else None

    def _beat(self) -> None:  # on the loop
        now = self._loop.time()
        for live in self._readers:
            if now - live.sent_at >= HEARTBEAT:
                live.resume(keep_alive=True)
        self._timer = self._loop.call_later(HEARTBEAT, self._beat) if self._readers else None


class LiveReader:
    """A reader of ``room`` for a coroutine of the API's loop; :meth:`serve` runs it to its end."""

    def __init__(self, rooms: RoomRegistry, room: str, token: Optional[str], after_seq: Optional[int] = None,
                 scope: Optional[dict] = None):
        self._loop = asyncio.get_running_loop()
        # (the request's scope) its connection, to tell a client that stopped reading
        self.link = LinkWatch.of(scope, self._loop.time()) if scope is not None else None
        self.closed = asyncio.Event()
        self._rooms = rooms
        self._group = LoopReaders.of(rooms)
        self._due = False  # resumed since the pump last took the reader's events
        self._keep_alive = False  # idle for a heartbeat: the pump sends a keep-alive
        self._waiter: Optional[asyncio.Future] = None  # what the pump awaits while there is nothing to send
        self._direct: Optional[Callable[[list[Event]], bool]] = None  # serve's ``direct``
        self._held: list[Event] = []  # taken for a direct send that declined: the pump sends them first
        self.sent_at = self._loop.time()
        group = self._group
        self.reader = rooms.open_reader(room, token, lambda: group.wake(self), after_seq)  # RoomError: refused

    def resume(self, keep_alive: bool = False) -> None:
        """(on the loop) The reader's queue has events, or (``keep_alive``) it has been idle a heartbeat long.
        While the pump waits with nothing to send, the events go by ``direct`` at once where it takes them."""
        if self.reader.closed is not None:
            self.closed.set()
        if not keep_alive and self._sent_directly():
            return
        self._due = True
        self._keep_alive = self._keep_alive or keep_alive
        if self._waiter is not None and not self._waiter.done():
            self._waiter.set_result(None)

    async def serve(self, send: Callable[[list[Event]], Awaitable[None]], keep_alive: Callable[[], Awaitable[None]],
                    disconnected: Callable[[], Awaitable[None]],
                    direct: Optional[Callable[[list[Event]], bool]] = None) -> Optional[str]:
        """Send events until the reader is closed (returns why) or its client goes (None). ``send`` gets a
        batch: the completed lines in order, then the latest text in progress of each publisher. ``direct``,
        where given, sends a batch synchronously and says whether it could (whisper_live/api/direct_send.py):
        the batches that come while the reader is idle go that way, without a step of its coroutine."""
        self._direct = direct
        self._group.add(self)
        self._due = True  # (what the reader was given when it joined)
        pump = asyncio.ensure_future(self._pump(send, keep_alive))
        gone = asyncio.ensure_future(disconnected())
        stuck = asyncio.ensure_future(self._cut_after_grace())
        try:
            await asyncio.wait({pump, gone, stuck}, return_when=asyncio.FIRST_COMPLETED)
            if stuck.done() and not pump.done():
                log.info("room %s: a reader that stopped reading was cut off", self.reader.room.name)
                if self.link is not None:
                    self.link.cut()
            return pump.result() if pump.done() and not pump.cancelled() and pump.exception() is None else None
        finally:
            for task in (pump, gone, stuck):
                task.cancel()
            await asyncio.gather(pump, gone, stuck, return_exceptions=True)
            self._group.discard(self)
            self._rooms.close_reader(self.reader)

    async def _pump(self, send, keep_alive) -> Optional[str]:
        while True:
            if not self._due:
                self._waiter = self._loop.create_future()
                await self._waiter
            self._due = False
            events, beat, self._keep_alive = self._held + self.reader.take(), self._keep_alive, False
            self._held = []
            if events:
                await send(events)
            elif beat:
                await keep_alive()
            if events or beat:
                self.sent_at = self._loop.time()
            if events and events[-1].kind == "end":
                return self.reader.closed

    def _sent_directly(self) -> bool:
        """Whether what the reader's queue holds went out by ``direct`` (or it holds nothing); False leaves
        the pump to send it (the pump is busy sending, the batch ends the reader, the connection declined)."""
        if self._direct is None or self._held or self._waiter is None or self._waiter.done():
            return False
        events = self.reader.take()
        if not events:
            return True
        try:
            sent = events[-1].kind != "end" and self._direct(events)
        except Exception:  # (one reader's connection must not stop the others' burst: its pump will see)
            log.debug("room %s: a direct send failed", self.reader.room.name, exc_info=True)
            sent = False
        if sent:
            self.sent_at = self._loop.time()
            return True
        self._held = events
        return False

    async def _cut_after_grace(self) -> None:
        await self.closed.wait()
        await asyncio.sleep(GRACE)


def after_seq(value: Optional[str]) -> Optional[int]:
    """The last line a reconnecting reader saw (``Last-Event-ID`` or ``?after=``), or None."""
    try:
        return max(0, int(value)) if value not in (None, "") else None
    except ValueError:
        return None
