"""The readers' routes on a real uvicorn on 127.0.0.1, over a real room registry (no model): SSE, the WebSocket,
the transcript, the caption page, tokens, a reader that stops reading."""

import json
import socket
import threading
import time
from types import SimpleNamespace
from types import SimpleNamespace as Seg

import httpx
import pytest
from websockets.sync.client import connect

from tests.server_process import free_port
from tests.unit.waits import wait_until
from whisper_live.api import room_readers
from whisper_live.api.http_thread import ApiServer
from whisper_live.rooms import RoomRegistry
from whisper_live.server.ops.metrics import Metrics
from tests.threads import NewThreads


@pytest.fixture
def api():
    threads = NewThreads()
    metrics = Metrics(gpu=False)
    rooms = RoomRegistry(max_readers=50, max_pending=8, tick=0.05, metrics=metrics)
    server = SimpleNamespace(rooms=rooms, draining=False, metrics=metrics)
    port = free_port()
    api = ApiServer(server, host="127.0.0.1", port=port, max_upload_mb=1).start()
    api.base, api.port = f"http://127.0.0.1:{port}", port
    api.rooms = rooms
    yield api
    api.stop()
    assert threads.alive() == []  # uvicorn's thread and the fan-out thread are joined


def say(publisher, *texts, start=0.0):
    for i, text in enumerate(texts):
        publisher.publish([Seg(start=start + i, end=start + i + 0.5, text=text)],
                          [Seg(start=start + i + 0.5, end=start + i + 0.9, text="and")])


class SseReader:
    """Reads one room's events on a thread of its own."""

    def __init__(self, url, headers=None):
        self.events, self.ids, self.status = [], [], None
        self.opened = threading.Event()
        self.thread = threading.Thread(target=self._run, args=(url, headers or {}), daemon=True)
        self.thread.start()
        self.opened.wait(5)

    def _run(self, url, headers):
        with httpx.stream("GET", url, headers=headers, timeout=30) as response:
            self.status = response.status_code
            self.opened.set()
            for line in response.iter_lines():
                if line.startswith("data: "):
                    self.events.append(json.loads(line[6:]))
                elif line.startswith("id: "):
                    self.ids.append(int(line[4:]))

    def completed(self):
        return [e["text"] for e in self.events if e["type"] == "completed"]


def test_a_late_sse_reader_gets_the_last_lines_then_live_text_with_speakers(api):
    ann = api.rooms.join("talk", "Ann", public=True)
    say(ann, "one", "two")
    wait_until(lambda: api.rooms.find("talk", None).seq == 2)
    reader = SseReader(f"{api.base}/v1/rooms/talk/events")
    assert reader.status == 200
    say(ann, "three", start=2.0)
    wait_until(lambda: reader.completed() == ["one", "two", "three"])
    assert reader.ids == [1, 2, 3]
    wait_until(lambda: reader.events[-1]["type"] == "partial")
    assert reader.events[-1]["speaker"] == "Ann" and reader.events[-1]["text"] == "and"
    api.rooms.stop()  # the readers are told
    reader.thread.join(5)
    assert reader.events[-1] == {"type": "end", "reason": "the server is shutting down"}


def test_a_reconnecting_sse_reader_gets_what_it_missed(api):
    ann = api.rooms.join("talk", "Ann", public=True)
    say(ann, *[f"line {i}" for i in range(30)])
    wait_until(lambda: api.rooms.find("talk", None).seq == 30)
    reader = SseReader(f"{api.base}/v1/rooms/talk/events", {"Last-Event-ID": "25"})
    wait_until(lambda: len(reader.completed()) == 5)
    assert reader.completed() == [f"line {i}" for i in range(25, 30)]
    api.rooms.stop()


def test_a_private_room_needs_its_reader_token_not_an_api_key(api):
    ann = api.rooms.join("board", "Ann", public=False)
    assert httpx.get(f"{api.base}/v1/rooms/board/transcript").status_code == 404
    assert httpx.get(f"{api.base}/v1/rooms/board/events?token=nope").status_code == 404
    say(ann, "secret plan")
    wait_until(lambda: api.rooms.find("board", ann.reader_token).seq == 1)
    answer = httpx.get(f"{api.base}/v1/rooms/board/transcript?format=txt&token={ann.reader_token}")
    assert answer.status_code == 200 and answer.text == "Ann: secret plan\n"
    with connect(f"ws://127.0.0.1:{api.port}/v1/rooms/board/watch?token=wrong") as ws:
        assert json.loads(ws.recv(5))["code"] == "not_found"
        with pytest.raises(Exception):
            ws.recv(5)
        assert ws.close_code == 1008


def test_the_transcript_in_every_format(api):
    ann, bob = api.rooms.join("m", "Ann", public=True), api.rooms.join("m", "Bob", public=True)
    say(ann, "hello")
    say(bob, "hi", start=0.2)
    wait_until(lambda: api.rooms.find("m", None).seq == 2)
    get = lambda fmt: httpx.get(f"{api.base}/v1/rooms/m/transcript?format={fmt}")  # noqa: E731
    assert get("txt").text == "Ann: hello\nBob: hi\n"
    assert "<v Bob>hi" in get("vtt").text and get("vtt").headers["content-type"].startswith("text/vtt")
    assert "Ann: hello" in get("srt").text
    assert [line["speaker"] for line in get("json").json()["lines"]] == ["Ann", "Bob"]
    assert get("doc").status_code == 400


def test_a_websocket_reader_follows_and_cannot_send_audio(api):
    ann = api.rooms.join("talk", "Ann", public=True)
    with connect(f"ws://127.0.0.1:{api.port}/v1/rooms/talk/watch") as ws:
        say(ann, "hello")
        got = [json.loads(ws.recv(5)) for _ in range(2)]
        assert [(e["type"], e["text"]) for e in got] == [("completed", "hello"), ("partial", "and")]
        ws.send(b"\x00" * 3200)
        with pytest.raises(Exception):
            ws.recv(5)
    wait_until(lambda: api.rooms.readers == 0)


def test_readers_have_their_own_limit(api):
    api.rooms.max_readers = 1
    api.rooms.join("talk", "Ann", public=True)
    with connect(f"ws://127.0.0.1:{api.port}/v1/rooms/talk/watch"):
        wait_until(lambda: api.rooms.readers == 1)
        assert httpx.get(f"{api.base}/v1/rooms/talk/events").status_code == 503


def _stalled_and_quick_readers(api):
    """A reader of room "talk" that never reads (a raw socket with a small receive buffer), and one that does."""
    stalled = socket.create_connection(("127.0.0.1", api.port))
    stalled.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    stalled.sendall(b"GET /v1/rooms/talk/events HTTP/1.1\r\nHost: x\r\n\r\n")  # and never reads
    quick = SseReader(f"{api.base}/v1/rooms/talk/events")
    wait_until(lambda: api.rooms.readers == 2)
    return stalled, quick


def test_a_reader_that_stops_reading_is_dropped_and_the_others_get_every_line(api, monkeypatch):
    monkeypatch.setattr(room_readers, "GRACE", 0.5)
    ann = api.rooms.join("talk", "Ann", public=True)
    stalled, quick = _stalled_and_quick_readers(api)
    big = "x" * 40000
    for i in range(300):  # 12 MB: more than the stalled socket's buffers hold
        say(ann, f"{i} {big}", start=float(i))  # (only posts: tests/unit/rooms/test_registry.py)
        time.sleep(0.01)
    wait_until(lambda: len(quick.completed()) == 300, timeout=30)
    assert quick.completed() == [f"{i} {big}" for i in range(300)]
    dropped = api.rooms._metrics.room_readers_dropped.labels(reason="too_far_behind")
    wait_until(lambda: dropped._value.get() == 1 and api.rooms.readers == 1)  # cut off after the grace
    stalled.close()


def test_a_reader_that_stops_reading_at_a_speakers_pace_is_dropped_once_its_connection_takes_nothing(api, monkeypatch):
    # A few KB in all: no buffer on the server's side fills, so only the connection can tell (its client
    # acknowledges nothing once its small receive buffer is full).
    monkeypatch.setattr(room_readers, "GRACE", 0.5)
    monkeypatch.setattr(room_readers, "STALL_CHECK", 0.2)
    api.rooms.max_lag = 1.0
    ann = api.rooms.join("talk", "Ann", public=True)
    stalled, quick = _stalled_and_quick_readers(api)
    line = "y" * 1000
    for i in range(60):  # 60 KB: under the server's 64 KB write buffer, over the stalled client's
        say(ann, f"{i} {line}", start=float(i))
        time.sleep(0.02)
    wait_until(lambda: len(quick.completed()) == 60, timeout=30)
    dropped = api.rooms._metrics.room_readers_dropped.labels(reason="too_far_behind")
    wait_until(lambda: dropped._value.get() == 1 and api.rooms.readers == 1, timeout=15)
    stalled.settimeout(5)
    received = b""
    while b"too far behind" not in received:  # told so, after what it had not read yet
        chunk = stalled.recv(65536)
        assert chunk, received[-300:]
        received += chunk
    stalled.close()
    say(ann, "still here", start=100.0)
    wait_until(lambda: quick.completed()[-1:] == ["still here"])


def test_the_caption_page_and_its_script(api):
    page = httpx.get(f"{api.base}/captions/talk?size=64&lines=2&transparent=1")
    assert page.status_code == 200 and "captions.js" in page.text
    assert "script-src 'self'" in page.headers["content-security-policy"]
    script = httpx.get(f"{api.base}/captions/assets/captions.js")
    assert script.status_code == 200 and "EventSource" in script.text
    assert httpx.get(f"{api.base}/captions/assets/secret.py").status_code == 404


def test_a_qr_code_of_the_room_s_caption_page_and_of_nothing_else(api):
    import segno  # noqa: F401 (the API's requirement that draws it)

    ann = api.rooms.join("board", "Ann", public=False)
    page = f"{api.base}/captions/board?token={ann.reader_token}&size=60"
    qr = lambda link, room="board": httpx.get(f"{api.base}/v1/rooms/{room}/qr.svg", params={"url": link})  # noqa: E731
    answer = qr(page)
    assert answer.status_code == 200 and answer.headers["content-type"] == "image/svg+xml"
    assert answer.text.lstrip().startswith("<?xml") and "<svg" in answer.text
    assert qr(f"{api.base}/captions/board?token=wrong").status_code == 404  # not the room's token
    assert qr(f"{api.base}/captions/board").status_code == 404  # a private room's link carries its token
    assert qr(page, room="other").status_code == 400  # another room's page
    for link in ("https://evil.example/captions/board", f"{api.base}/v1/audio/transcriptions",
                 f"http://evil.example:{api.port}/captions/board?token={ann.reader_token}",
                 f"{page}&next=https://evil.example", f"{api.base}/captions/board/../x", "javascript:alert(1)", ""):
        assert qr(link).status_code == 400, link
