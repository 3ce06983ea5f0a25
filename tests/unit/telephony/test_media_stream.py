"""Twilio Media Streams messages (as Twilio and Telnyx send them) to typed events, and malformed ones."""

import base64
import json

import pytest

from whisper_live.telephony.media_stream import (Connected, Dtmf, Mark, Media, MediaStreamError, Start, Stop,
                                                 parse_event)

AUDIO = bytes(range(160))
TWILIO = [
    {"event": "connected", "protocol": "Call", "version": "1.0.0"},
    {"event": "start", "sequenceNumber": "1", "streamSid": "MZ1",
     "start": {"accountSid": "AC1", "streamSid": "MZ1", "callSid": "CA1", "tracks": ["inbound", "outbound"],
               "customParameters": {"statusCallbackUrl": "https://hooks.example.com/t", "partialResults": "true"},
               "mediaFormat": {"encoding": "audio/x-mulaw", "sampleRate": 8000, "channels": 1}}},
    {"event": "media", "sequenceNumber": "3", "streamSid": "MZ1",
     "media": {"track": "outbound", "chunk": "1", "timestamp": "5", "payload": base64.b64encode(AUDIO).decode()}},
    {"event": "dtmf", "sequenceNumber": "5", "streamSid": "MZ1", "dtmf": {"track": "inbound_track", "digit": "#"}},
    {"event": "mark", "sequenceNumber": "4", "streamSid": "MZ1", "mark": {"name": "greeting"}},
    {"event": "stop", "sequenceNumber": "6", "streamSid": "MZ1", "stop": {"accountSid": "AC1", "callSid": "CA1"}},
]


def test_twilio_messages_become_typed_events():
    connected, start, media, dtmf, mark, stop = [parse_event(json.dumps(m)) for m in TWILIO]
    assert connected == Connected("Call", "1.0.0")
    assert isinstance(start, Start) and (start.stream_sid, start.call_sid, start.account_sid) == ("MZ1", "CA1", "AC1")
    assert start.tracks == ["inbound", "outbound"] and start.sequence == 1
    assert start.custom_parameters["statusCallbackUrl"] == "https://hooks.example.com/t"
    assert (start.media_format.audio_format, start.media_format.sample_rate) == ("mulaw", 8000)
    assert media == Media("MZ1", "outbound", 1, 5, AUDIO, 3)
    assert dtmf == Dtmf("MZ1", "inbound", "#", 5)
    assert mark == Mark("MZ1", "greeting", 4)
    assert stop == Stop("MZ1", "CA1", "AC1", 6)


def test_telnyx_spelling_is_read_too():
    start = parse_event(json.dumps({"event": "start", "sequence_number": "1", "stream_id": "S1",
                                    "start": {"call_control_id": "v3:abc", "media_format": {
                                        "encoding": "PCMA", "sample_rate": 8000, "channels": 1}}}))
    assert (start.stream_sid, start.call_sid, start.media_format.audio_format, start.sequence) == \
        ("S1", "v3:abc", "alaw", 1)
    assert start.tracks == ["inbound"]


@pytest.mark.parametrize("message, reason", [
    (b"{}", "text frames"),
    ("not json", "not JSON"),
    ("[1]", "not a JSON object"),
    ({"event": "hello"}, "unknown event 'hello'"),
    ({"event": "media"}, "needs a 'media' object"),
    ({"event": "media", "media": {"chunk": "1", "payload": "@@@"}}, "not valid base64"),
    ({"event": "media", "media": {"chunk": "x", "payload": ""}}, "media.chunk must be a whole number"),
    ({"event": "media", "media": {"chunk": "-1", "payload": ""}}, "must not be negative"),
    ({"event": "media", "media": {"track": "sideways", "chunk": "1", "payload": ""}}, "unknown track"),
    ({"event": "media", "media": {"chunk": "1", "payload": "A" * 100000}}, "longer than"),
    ({"event": "start", "start": {"streamSid": "MZ", "callSid": ""}}, "start.callSid"),
    ({"event": "start", "start": {"streamSid": "MZ", "callSid": "CA", "tracks": []}}, "non-empty list"),
    ({"event": "start", "start": {"streamSid": "MZ", "callSid": "CA", "mediaFormat": {"encoding": "audio/opus"}}},
     "not supported"),
    ({"event": "start", "start": {"streamSid": "MZ", "callSid": "CA", "mediaFormat": {"channels": 2}}}, "mono"),
    ({"event": "dtmf", "dtmf": {"digit": "12"}}, "dtmf.digit"),
    ({"event": "mark", "mark": {}}, "mark.name"),
])
def test_malformed_messages_say_what_is_wrong(message, reason):
    text = message if isinstance(message, (str, bytes)) else json.dumps(message)
    with pytest.raises(MediaStreamError, match=reason):
        parse_event(text)
