"""Room readers on an event loop (no sockets): how the fan-out thread wakes the loop, and the keep-alives."""

import asyncio
import json
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


async def _stop(*tasks):
    for task in tasks:
        task.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)


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
        await _stop(*tasks)
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
        await _stop(task)

    _run(main)


def test_an_idle_reader_takes_its_events_directly_and_a_declined_batch_goes_by_its_coroutine_in_order():
    async def main(rooms):
        ann = rooms.join("talk", "Ann", public=True)
        direct, pumped, accept = [], [], [True]

        def texts(batch):
            return [json.loads(e.data)["text"] for e in batch if e.kind == "completed"]

        def write_now(batch):
            if not accept[0]:
                return False
            direct.append(texts(batch))
            return True

        async def send(batch):
            pumped.extend(texts(batch))

        task = asyncio.ensure_future(LiveReader(rooms, "talk", None).serve(send, _forever, _forever, write_now))
        await asyncio.sleep(0.05)  # (what the reader was given when it joined goes by its coroutine: nothing)
        ann.publish([Seg(start=0.0, end=1.0, text="one")], [Seg(start=1.0, end=1.5, text="and")])
        await _until(lambda: direct)
        assert direct == [["one"]] and pumped == []

        accept[0] = False  # the connection cannot take more now: the coroutine sends it, once, in order
        ann.publish([Seg(start=1.0, end=2.0, text="two")], [])
        await _until(lambda: pumped)
        ann.publish([Seg(start=2.0, end=3.0, text="three")], [])
        await _until(lambda: len(pumped) == 2)
        await asyncio.sleep(0.1)
        assert direct == [["one"]] and pumped == ["two", "three"]
        await _stop(task)

    _run(main)


def test_a_direct_send_that_fails_leaves_the_batch_to_the_coroutine_and_other_readers_unaffected():
    async def main(rooms):
        ann = rooms.join("talk", "Ann", public=True)
        good, pumped = [], []

        def broken(batch):
            raise RuntimeError("the connection's protocol object broke")

        async def send(batch):
            pumped.extend(e.kind for e in batch if e.kind == "completed")

        tasks = [asyncio.ensure_future(LiveReader(rooms, "talk", None).serve(send, _forever, _forever, broken)),
                 asyncio.ensure_future(LiveReader(rooms, "talk", None).serve(
                     send, _forever, _forever,
                     lambda batch: good.extend(e.kind for e in batch if e.kind == "completed") or True))]
        await asyncio.sleep(0.05)
        ann.publish([Seg(start=0.0, end=1.0, text="one")], [])
        await _until(lambda: good and pumped)
        await asyncio.sleep(0.1)
        assert good == ["completed"] and pumped == ["completed"]
        await _stop(*tasks)

    _run(main)
