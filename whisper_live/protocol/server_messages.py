"""The server's messages: each one built (server side), and read back as a :class:`Reply` (client side)."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any, Optional

from whisper_live.protocol.segment import Segment

# Message values used by the stock client.
SERVER_READY = "SERVER_READY"
DISCONNECT = "DISCONNECT"
STATUS_WAIT = "WAIT"
STATUS_ERROR = "ERROR"
STATUS_WARNING = "WARNING"


def server_ready(uid: str, backend: str, resume_token: Optional[str] = None, resume_window: float = 0.0,
                 audio_received: Optional[float] = None, room: Optional[dict] = None) -> str:
    """With ``resume_token``: the session may be resumed; with ``audio_received``: it was resumed; ``room``:
    the reader addresses of the room it publishes into (``room``, ``room_events``, ``room_watch``, ...)."""
    data: dict = {"uid": uid, "message": SERVER_READY, "backend": backend, **(room or {})}
    if resume_token is not None:
        data.update(resume_token=resume_token, resume_window=resume_window)
    if audio_received is not None:
        data.update(resumed=True, audio_received=round(audio_received, 4))
    return json.dumps(data)


def wait(uid: str, minutes: float) -> str:
    return json.dumps({"uid": uid, "status": STATUS_WAIT, "message": round(float(minutes), 2)})


def error(uid: str, message: str) -> str:
    return json.dumps({"uid": uid, "status": STATUS_ERROR, "message": message})


def warning(uid: str, message: str) -> str:
    return json.dumps({"uid": uid, "status": STATUS_WARNING, "message": message})


def disconnect(uid: str) -> str:
    return json.dumps({"uid": uid, "message": DISCONNECT})


def language(uid: str, lang: str, probability: float) -> str:
    return json.dumps({"uid": uid, "language": lang, "language_prob": round(float(probability), 4)})


def segments(uid: str, segs: list[Segment]) -> str:
    return json.dumps({"uid": uid, "segments": [s.to_wire() for s in segs]})


def open_repeat(uid: str, completed: list[Segment], partial: list[Segment]) -> Optional[str]:
    """When nothing is in progress, a segments message holding only the last completed segment again, open
    (``completed`` false, no words); None otherwise. Sent after a segments update that left nothing in
    progress: WhisperLive's Python client keeps the last open segment it was sent and writes it after its
    transcript when its text differs from the last completed one (docs/protocol.md, "What WhisperLive's
    clients see differently"). A client that keeps completed segments drops an open one repeating them."""
    if partial or not completed:
        return None
    last = completed[-1]
    return segments(uid, [Segment(start=last.start, end=last.end, text=last.text)])


@dataclass
class Reply:
    """A server message as the client library sees it."""

    kind: str  # "ready" | "wait" | "error" | "warning" | "disconnect" | "language" | "segments" | "unknown"
    uid: str = ""
    message: Any = None
    backend: Optional[str] = None
    language: Optional[str] = None
    language_prob: Optional[float] = None
    segments: list[Segment] = field(default_factory=list)
    resume_token: Optional[str] = None
    resume_window: float = 0.0
    resumed: bool = False
    audio_received: float = 0.0
    room: dict = field(default_factory=dict)  # SERVER_READY of a publisher: its room's reader addresses


def parse_reply(text: str) -> Reply:
    """Classify one server message (client side). Unknown keys are ignored."""
    data = json.loads(text)
    if not isinstance(data, dict):
        return Reply("unknown", message=data)
    uid = str(data.get("uid", ""))
    status = data.get("status")
    if status == STATUS_WAIT:
        return Reply("wait", uid, message=data.get("message"))
    if status == STATUS_ERROR:
        return Reply("error", uid, message=data.get("message"))
    if status == STATUS_WARNING:
        return Reply("warning", uid, message=data.get("message"))
    if data.get("message") == SERVER_READY:
        return Reply("ready", uid, backend=data.get("backend"), resume_token=data.get("resume_token"),
                     resume_window=float(data.get("resume_window") or 0.0), resumed=bool(data.get("resumed")),
                     audio_received=float(data.get("audio_received") or 0.0),
                     room={k: v for k, v in data.items() if k.startswith("room")})
    if data.get("message") == DISCONNECT:
        return Reply("disconnect", uid)
    if "segments" in data:
        return Reply("segments", uid, segments=[Segment.from_wire(s) for s in data["segments"]])
    if "language" in data:
        return Reply("language", uid, language=data["language"], language_prob=data.get("language_prob"))
    return Reply("unknown", uid, message=data)
