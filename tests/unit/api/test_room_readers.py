"""Room readers on an event loop (no sockets): how the fan-out thread wakes the loop, and the keep-alives."""

import asyncio
from types import SimpleNamespace as Seg

from tests.unit.own_loop import run_on_own_loop
from whisper_live.api import room_readers
from whisper_live.api.room_readers import LiveReader
from whisper_live.rooms import RoomRegistry


async def _forever():
    await asyncio.Event().wait()


async def _until(condition, timeout=5.0):
    deadline = asyncio.get_running_loop().time() + timeout
    while not condition():
        assert asyncio.get_running_loop().time() < deadline, "timed out"
        await asyncio.sleep(0.01)


def _run(main):
    rooms = RoomRegistry(tick=0.05)
    try:
        run_on_own_loop(main(rooms))
    finally:
        rooms.stop()


def test_the_loop_is_woken_once_per_burst_for_all_the_readers_it_serves():
    async def main(rooms):
        ann = rooms.join("talk", "Ann", public=True)
        loop = asyncio.get_running_loop()
        calls, real = [], loop.call_soon_threadsafe

        def counted(callback, *args, **kwargs):
            calls.append(callback)
            return real(callback, *args, **kwargs)

        loop.call_soon_threadsafe = counted
        boxes = [[] for _ in range(50)]

        def sender(box):
            async def send(batch):
                box.extend(batch)
            return send

        live = [LiveReader(rooms, "talk", None) for _ in boxes]
        tasks = [asyncio.ensure_future(reader.serve(sender(box), _forever, _forever))
                 for reader, box in zip(live, boxes)]
        ann.publish([Seg(start=0.0, end=1.0, text="hello")], [Seg(start=1.0, end=1.5, text="and")])
        await _until(lambda: all(len(box) == 2 for box in boxes))
        assert len(calls) == 1  # one for the 50 readers, not one each
        assert [e.kind for e in boxes[0]] == ["completed", "partial"]
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        assert rooms.readers == 0

    _run(main)


def test_an_idle_reader_gets_keep_alives_and_a_busy_one_none(monkeypatch):
    monkeypatch.setattr(room_readers, "HEARTBEAT", 0.1)

    async def main(rooms):
        rooms.join("talk", "Ann", public=True)
        beats = []

        async def beat():
            beats.append(asyncio.get_running_loop().time())

        async def send(batch):
            pass

        task = asyncio.ensure_future(LiveReader(rooms, "talk", None).serve(send, beat, _forever))
        await asyncio.sleep(0.45)
        assert 2 <= len(beats) <= 5
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)

    _run(main)
