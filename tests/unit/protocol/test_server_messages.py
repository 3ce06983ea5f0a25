"""The server's messages (whisper_live/protocol/server_messages.py): SERVER_READY with its resume token and
room addresses as the client reads them, and the open repeat of the last completed segment."""

import json

from whisper_live import protocol
from whisper_live.protocol import Segment, Word


def test_server_ready_carries_the_token_and_on_resume_the_audio_received():
    ready = protocol.parse_reply(protocol.server_ready("u1", "faster_whisper", "tok", 30.0))
    assert (ready.kind, ready.resume_token, ready.resume_window, ready.resumed) == ("ready", "tok", 30.0, False)
    again = protocol.parse_reply(protocol.server_ready("u1", "faster_whisper", "tok", 30.0, audio_received=4.25))
    assert again.resumed and again.audio_received == 4.25
    assert "resume_token" not in protocol.server_ready("u1", "faster_whisper")


def test_with_nothing_in_progress_the_last_completed_segment_is_repeated_open():
    done = [Segment(0.0, 1.0, " One.", completed=True),
            Segment(1.0, 2.5, " Two.", completed=True, words=[Word(1.0, 2.5, " Two.")])]
    sent = json.loads(protocol.open_repeat("u", done, []))
    assert sent == {"uid": "u", "segments": [{"start": "1.000", "end": "2.500", "text": " Two.", "completed": False}]}
    assert protocol.open_repeat("u", done, [Segment(2.5, 3.0, " Thr")]) is None
    assert protocol.open_repeat("u", [], []) is None


def test_server_ready_carries_the_room_addresses_and_the_client_reads_them():
    ready = protocol.server_ready("u", "fw", room={"room": "talk", "room_events": "http://h/v1/rooms/talk/events"})
    reply = protocol.parse_reply(ready)
    assert reply.kind == "ready" and reply.room == {"room": "talk", "room_events": "http://h/v1/rooms/talk/events"}
    assert protocol.parse_reply(protocol.server_ready("u", "fw")).room == {}
