import json

from whisper_live.rooms.lines import Line, completed_event, end_event, partial_event


def test_an_event_carries_its_server_sent_event_bytes_made_once():
    line = completed_event(Line(7, 1, "Ann", 1.0, 2.0, "héllo"))
    assert line.sse == f"id: 7\ndata: {line.data}\n\n".encode()
    assert json.loads(line.sse.split(b"data: ", 1)[1]) == json.loads(line.data)
    partial = partial_event(1, "Ann", 2.0, 2.5, "and")
    assert partial.sse == f"data: {partial.data}\n\n".encode()  # no id: only lines resume
    assert end_event("the room ended").sse.startswith(b'data: {"type": "end"')
