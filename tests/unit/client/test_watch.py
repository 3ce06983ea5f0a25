import io
import threading
from types import SimpleNamespace

from tests.server_process import free_port
from whisper_live.api.http_thread import ApiServer
from whisper_live.client.watch import WatchView, follow, watch_url
from whisper_live.rooms import RoomRegistry


def test_watch_url():
    assert watch_url("h", 8000, "talk") == "ws://h:8000/v1/rooms/talk/watch"
    assert watch_url("h", 8000, "talk", "t k", secure=True, after=7) == \
        "wss://h:8000/v1/rooms/talk/watch?token=t%20k&after=7"


def test_the_view_prints_each_line_with_its_speaker_and_the_text_in_progress_in_place():
    out = io.StringIO()
    view = WatchView(out)
    view({"type": "partial", "speaker": "Ann", "text": "hel"})
    view({"type": "completed", "speaker": "Ann", "text": "hello", "seq": 1})
    view({"type": "completed", "speaker": "Hall", "label": "SPEAKER_01", "text": "hi", "seq": 2})
    view({"type": "end", "reason": "the room ended"})
    assert out.getvalue() == "\rAnn: hel\r\x1b[KAnn: hello\nHall (SPEAKER_01): hi\n[the room ended]\n"


def test_follow_reconnects_after_the_last_line_and_returns_when_the_room_ends():
    rooms = RoomRegistry(tick=0.05)
    port = free_port()
    api = ApiServer(SimpleNamespace(rooms=rooms, draining=False), host="127.0.0.1", port=port, max_upload_mb=1).start()
    try:
        ann = rooms.join("talk", "Ann", public=True)
        seg = SimpleNamespace
        ann.publish([seg(start=0.0, end=1.0, text="one")], [])
        urls, events = [], []

        def url_for(after):
            urls.append(after)
            return watch_url("127.0.0.1", port, "talk", after=after)

        def on_event(event):
            events.append(event)
            if event.get("text") == "one" and len(urls) == 1:  # the first connection is dropped
                reader = next(iter(rooms.find("talk", None).readers.values()))
                reader.close("too far behind: dropped")
                ann.publish([seg(start=1.0, end=2.0, text="two")], [])
                ann.leave()
            if event.get("text") == "two":
                rooms.linger = 0.0  # the room ends

        done = []
        thread = threading.Thread(target=lambda: done.append(follow(url_for, on_event, reconnect_delay=0.1)))
        thread.start()
        thread.join(15)
        assert done == ["the room ended"]
        assert urls == [None, 1]
        assert [e["text"] for e in events if e["type"] == "completed"] == ["one", "two"]
    finally:
        api.stop()
