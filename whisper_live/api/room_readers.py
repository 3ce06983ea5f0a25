"""A room reader on the API's event loop: the reader's queue (whisper_live/rooms/reader.py) wakes the loop,
and one coroutine sends what it holds, as Server-Sent Events or WebSocket messages.

Thousands of readers are thousands of coroutines on this one loop, not threads. The fan-out thread fills
each reader's bounded queue and calls ``loop.call_soon_threadsafe`` once per burst; nothing here can make the
fan-out thread, a publisher or another reader wait. A reader whose socket stops taking data stops taking
events; once its queue overflows it is closed (``too far behind``): it gets an ``end`` event if it can still
read one within :data:`GRACE` seconds, else its connection is cut.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from typing import Awaitable, Callable, Optional

from whisper_live.rooms import RoomRegistry
from whisper_live.rooms.lines import Event

log = logging.getLogger(__name__)

HEARTBEAT = 15.0  # s between keep-alives to an idle reader (proxies close silent connections)
GRACE = 5.0  # s a closed reader has to take its end event before its connection is cut


class LiveReader:
    """A reader of ``room`` for a coroutine of the API's loop; :meth:`serve` runs it to its end."""

    def __init__(self, rooms: RoomRegistry, room: str, token: Optional[str], after_seq: Optional[int] = None):
        loop = asyncio.get_running_loop()
        self.ready, self.closed = asyncio.Event(), asyncio.Event()
        self._rooms = rooms

        def woken() -> None:  # on the loop
            self.ready.set()
            if self.reader.closed is not None:
                self.closed.set()

        def wake() -> None:  # on the fan-out thread
            with contextlib.suppress(RuntimeError):  # the loop has stopped: nobody to tell
                loop.call_soon_threadsafe(woken)

        self.reader = rooms.open_reader(room, token, wake, after_seq)  # RoomError: refused

    async def serve(self, send: Callable[[list[Event]], Awaitable[None]], keep_alive: Callable[[], Awaitable[None]],
                    disconnected: Callable[[], Awaitable[None]]) -> Optional[str]:
        """Send events until the reader is closed (returns why) or its client goes (None). ``send`` gets a
        batch: the completed lines in order, then the latest text in progress of each publisher."""
        pump = asyncio.ensure_future(self._pump(send, keep_alive))
        gone = asyncio.ensure_future(disconnected())
        stuck = asyncio.ensure_future(self._cut_after_grace())
        try:
            await asyncio.wait({pump, gone, stuck}, return_when=asyncio.FIRST_COMPLETED)
            if stuck.done() and not pump.done():
                log.info("room %s: a reader that stopped reading was cut off", self.reader.room.name)
            return pump.result() if pump.done() and not pump.cancelled() and pump.exception() is None else None
        finally:
            for task in (pump, gone, stuck):
                task.cancel()
            await asyncio.gather(pump, gone, stuck, return_exceptions=True)
            self._rooms.close_reader(self.reader)

    async def _pump(self, send, keep_alive) -> Optional[str]:
        while True:
            try:
                await asyncio.wait_for(self.ready.wait(), HEARTBEAT)
            except asyncio.TimeoutError:
                await keep_alive()
                continue
            self.ready.clear()
            events = self.reader.take()
            if events:
                await send(events)
            if events and events[-1].kind == "end":
                return self.reader.closed

    async def _cut_after_grace(self) -> None:
        await self.closed.wait()
        await asyncio.sleep(GRACE)


def after_seq(value: Optional[str]) -> Optional[int]:
    """The last line a reconnecting reader saw (``Last-Event-ID`` or ``?after=``), or None."""
    try:
        return max(0, int(value)) if value not in (None, "") else None
    except ValueError:
        return None
