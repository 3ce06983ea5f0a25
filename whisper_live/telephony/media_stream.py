"""Twilio Media Streams messages as typed events: ``connected``, ``start``, ``media``, ``dtmf``, ``mark``, ``stop``.

Twilio sends one JSON text frame per message; numbers such as ``sequenceNumber``, ``chunk`` and
``timestamp`` arrive as strings. Telnyx sends the same shapes with snake_case names for a few fields
(``sequence_number``, ``stream_id``) and its own names for the encodings (``PCMU``, ``PCMA``); both are
read. Anything malformed raises :class:`MediaStreamError` with a reason fit for a log line.
"""

from __future__ import annotations

import base64
import binascii
import json
from dataclasses import dataclass, field
from typing import Optional, Union

# mediaFormat.encoding -> the audio_format the server decodes (whisper_live.protocol.AUDIO_FORMATS)
ENCODINGS = {"audio/x-mulaw": "mulaw", "audio/pcmu": "mulaw", "pcmu": "mulaw",
             "audio/x-alaw": "alaw", "audio/pcma": "alaw", "pcma": "alaw",
             "audio/x-l16": "int16", "audio/l16": "int16", "l16": "int16"}
TRACKS = ("inbound", "outbound")
STREAM_PATH = "/twilio"  # where the server takes Media Streams (the <Stream url> of the TwiML)
MAX_MEDIA_BYTES = 64000  # a media payload holds at most this much audio (8 s of 8 kHz G.711)


class MediaStreamError(ValueError):
    """A message that breaks the Media Streams format."""


@dataclass
class Connected:
    protocol: str = "Call"
    version: str = ""


@dataclass
class MediaFormat:
    audio_format: str = "mulaw"  # whisper_live.protocol's name for the encoding
    sample_rate: int = 8000
    channels: int = 1


@dataclass
class Start:
    stream_sid: str
    call_sid: str
    account_sid: str = ""
    tracks: list[str] = field(default_factory=lambda: ["inbound"])
    custom_parameters: dict[str, str] = field(default_factory=dict)
    media_format: MediaFormat = field(default_factory=MediaFormat)
    sequence: Optional[int] = None


@dataclass
class Media:
    stream_sid: str
    track: str  # "inbound" or "outbound"
    chunk: int  # counts from 1, per track
    timestamp: int  # milliseconds since the stream started
    payload: bytes  # the audio, decoded from base64
    sequence: Optional[int] = None


@dataclass
class Dtmf:
    stream_sid: str
    track: str
    digit: str
    sequence: Optional[int] = None


@dataclass
class Mark:
    stream_sid: str
    name: str
    sequence: Optional[int] = None


@dataclass
class Stop:
    stream_sid: str
    call_sid: str = ""
    account_sid: str = ""
    sequence: Optional[int] = None


Event = Union[Connected, Start, Media, Dtmf, Mark, Stop]


def parse_event(message: Union[str, bytes]) -> Event:
    """One text frame of the stream as an event; :class:`MediaStreamError` when it is not one."""
    if isinstance(message, (bytes, bytearray)):
        raise MediaStreamError("Media Streams messages are JSON text frames, not binary ones")
    try:
        data = json.loads(message)
    except ValueError as exc:
        raise MediaStreamError(f"message is not JSON: {exc}") from None
    if not isinstance(data, dict):
        raise MediaStreamError("message is not a JSON object")
    kind = data.get("event")
    parser = _PARSERS.get(kind) if isinstance(kind, str) else None
    if parser is None:
        raise MediaStreamError(f"unknown event {kind!r}: expected one of {', '.join(_PARSERS)}")
    return parser(data)


def _connected(data: dict) -> Connected:
    return Connected(protocol=str(data.get("protocol") or "Call"), version=str(data.get("version") or ""))


def _start(data: dict) -> Start:
    body = _object(data, "start")
    stream_sid = _text(body.get("streamSid") or body.get("stream_id") or _stream_sid(data), "start.streamSid")
    call_sid = _text(body.get("callSid") or body.get("call_control_id"), "start.callSid")
    tracks = body.get("tracks", ["inbound"])
    if not isinstance(tracks, list) or not tracks:
        raise MediaStreamError("start.tracks must be a non-empty list of track names")
    tracks = [_track(t, "start.tracks") for t in tracks]
    params = body.get("customParameters", body.get("custom_parameters")) or {}
    if not isinstance(params, dict):
        raise MediaStreamError("start.customParameters must be an object")
    return Start(stream_sid=stream_sid, call_sid=call_sid, account_sid=str(body.get("accountSid") or ""),
                 tracks=list(dict.fromkeys(tracks)), custom_parameters={str(k): str(v) for k, v in params.items()},
                 media_format=_media_format(body.get("mediaFormat", body.get("media_format"))),
                 sequence=_sequence(data))


def _media_format(value) -> MediaFormat:
    if value is None:
        return MediaFormat()
    if not isinstance(value, dict):
        raise MediaStreamError("start.mediaFormat must be an object")
    encoding = str(value.get("encoding") or "audio/x-mulaw").lower()
    if encoding not in ENCODINGS:
        raise MediaStreamError(f"start.mediaFormat.encoding {value.get('encoding')!r} is not supported: "
                               "send audio/x-mulaw (PCMU), audio/x-alaw (PCMA) or audio/x-l16")
    rate = _integer(value.get("sampleRate", value.get("sample_rate", 8000)), "start.mediaFormat.sampleRate")
    channels = _integer(value.get("channels", 1), "start.mediaFormat.channels")
    if channels != 1:
        raise MediaStreamError(f"start.mediaFormat.channels is {channels}: only mono tracks are supported")
    return MediaFormat(audio_format=ENCODINGS[encoding], sample_rate=rate, channels=channels)


def _media(data: dict) -> Media:
    body = _object(data, "media")
    payload = body.get("payload")
    if not isinstance(payload, str):
        raise MediaStreamError("media.payload must be a base64 string")
    if len(payload) > MAX_MEDIA_BYTES * 4 // 3 + 4:
        raise MediaStreamError(f"media.payload is longer than {MAX_MEDIA_BYTES} bytes of audio")
    try:
        audio = base64.b64decode(payload, validate=True)
    except (binascii.Error, ValueError):
        raise MediaStreamError("media.payload is not valid base64") from None
    return Media(stream_sid=_stream_sid(data), track=_track(body.get("track", "inbound"), "media.track"),
                 chunk=_integer(body.get("chunk"), "media.chunk"),
                 timestamp=_integer(body.get("timestamp", 0), "media.timestamp"), payload=audio,
                 sequence=_sequence(data))


def _dtmf(data: dict) -> Dtmf:
    body = _object(data, "dtmf")
    digit = body.get("digit")
    if not isinstance(digit, str) or len(digit) != 1 or digit not in "0123456789*#ABCDabcd":
        raise MediaStreamError(f"dtmf.digit must be one of 0-9, *, #, A-D, not {digit!r}")
    return Dtmf(stream_sid=_stream_sid(data), track=_track(body.get("track", "inbound"), "dtmf.track"),
                digit=digit, sequence=_sequence(data))


def _mark(data: dict) -> Mark:
    body = _object(data, "mark")
    return Mark(stream_sid=_stream_sid(data), name=_text(body.get("name"), "mark.name"), sequence=_sequence(data))


def _stop(data: dict) -> Stop:
    body = data.get("stop") or {}
    if not isinstance(body, dict):
        raise MediaStreamError("stop must be an object")
    return Stop(stream_sid=_stream_sid(data), call_sid=str(body.get("callSid") or ""),
                account_sid=str(body.get("accountSid") or ""), sequence=_sequence(data))


_PARSERS = {"connected": _connected, "start": _start, "media": _media, "dtmf": _dtmf, "mark": _mark, "stop": _stop}


def _object(data: dict, key: str) -> dict:
    value = data.get(key)
    if not isinstance(value, dict):
        raise MediaStreamError(f"a {data['event']} message needs a {key!r} object")
    return value


def _stream_sid(data: dict) -> str:
    value = data.get("streamSid", data.get("stream_id", ""))
    return str(value) if value is not None else ""


def _text(value, name: str) -> str:
    if not isinstance(value, str) or not value:
        raise MediaStreamError(f"{name} must be a non-empty string")
    return value


def _track(value, name: str) -> str:
    """Twilio names tracks ``inbound`` / ``outbound`` in media and ``inbound_track`` in dtmf."""
    track = value.removesuffix("_track") if isinstance(value, str) else None
    if track not in TRACKS:
        raise MediaStreamError(f"{name}: unknown track {value!r}; tracks are inbound and outbound")
    return track


def _integer(value, name: str) -> int:
    if isinstance(value, bool):
        raise MediaStreamError(f"{name} must be a whole number, not {value!r}")
    try:
        number = int(value)
    except (TypeError, ValueError):
        raise MediaStreamError(f"{name} must be a whole number, not {value!r}") from None
    if number < 0:
        raise MediaStreamError(f"{name} must not be negative, not {value!r}")
    return number


def _sequence(data: dict) -> Optional[int]:
    value = data.get("sequenceNumber", data.get("sequence_number"))
    return None if value is None else _integer(value, "sequenceNumber")
