"""OpenAI Realtime transcription events: reading the client's, writing the server's, and the session's settings.

Both shapes of the session are read and written: the current one (``session.update`` with
``session.audio.input.{format, transcription, turn_detection}``) and the beta one
(``transcription_session.update`` with ``input_audio_format``, ``input_audio_transcription``,
``turn_detection``); the server answers an update in the shape it came in.
"""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass, field
from typing import Optional

from whisper_live.protocol import VadParameters

CLIENT_EVENTS = ("session.update", "transcription_session.update", "input_audio_buffer.append",
                 "input_audio_buffer.commit", "input_audio_buffer.clear")
DEFAULT_RATE = 24000
RATES = (8000, 48000)  # accepted input rates (OpenAI's is 24 kHz; others are resampled as well)
# input formats -> whisper_live.protocol's audio_format: beta names, then the current shape's types
BETA_FORMATS = {"pcm16": "int16", "g711_ulaw": "mulaw", "g711_alaw": "alaw"}
G711_TYPES = {"audio/pcmu": "mulaw", "audio/pcma": "alaw"}  # always 8 kHz
G711_RATE = 8000


class RealtimeError(Exception):
    """A client event the server refuses: sent back as an ``error`` event; the session goes on."""

    def __init__(self, message: str, *, code: str, param: Optional[str] = None, event_id: Optional[str] = None):
        super().__init__(message)
        self.message, self.code, self.param, self.event_id = message, code, param, event_id


def new_id(prefix: str) -> str:
    return f"{prefix}_{uuid.uuid4().hex[:20]}"


def event(type: str, **fields) -> dict:
    return {"type": type, "event_id": new_id("event"), **fields}


def error_event(exc: RealtimeError, type: str = "invalid_request_error") -> dict:
    return event("error", error={"type": type, "code": exc.code, "message": exc.message, "param": exc.param,
                                 "event_id": exc.event_id})


def parse(message) -> dict:
    """A client event as a dict with a known ``type``; RealtimeError for anything else."""
    if not isinstance(message, str):
        raise RealtimeError("events are JSON text frames, not binary ones", code="invalid_event")
    try:
        data = json.loads(message)
    except ValueError as exc:
        raise RealtimeError(f"the event is not JSON: {exc}", code="invalid_json") from None
    if not isinstance(data, dict) or not isinstance(data.get("type"), str):
        raise RealtimeError("an event is a JSON object with a 'type'", code="invalid_event")
    event_id = data.get("event_id") if isinstance(data.get("event_id"), str) else None
    if data["type"] not in CLIENT_EVENTS:
        raise RealtimeError(f"unknown event type {data['type']!r}; this server takes "
                            f"{', '.join(CLIENT_EVENTS)}", code="unknown_event", param="type", event_id=event_id)
    return data


@dataclass
class SessionSettings:
    """What a Realtime transcription session is configured with."""

    id: str = field(default_factory=lambda: new_id("sess"))
    model: str = ""
    language: Optional[str] = None
    prompt: Optional[str] = None
    hotwords: Optional[str] = None  # from the transcription's ``keywords``
    rate: int = DEFAULT_RATE
    audio_format: str = "int16"  # how appended audio is decoded: int16 (pcm16), mulaw or alaw
    vad: Optional[VadParameters] = field(default_factory=VadParameters)  # None: the client commits
    vad_type: str = "server_vad"

    def update(self, data: dict) -> None:
        """Apply a ``session.update`` / ``transcription_session.update`` event's ``session``."""
        event_id = data.get("event_id")
        session = data.get("session")
        if not isinstance(session, dict):
            raise RealtimeError("the update has no 'session' object", code="invalid_value", param="session",
                                event_id=event_id)
        audio_input = (session.get("audio") or {}).get("input") if isinstance(session.get("audio"), dict) else None
        if isinstance(audio_input, dict):  # the current shape
            fmt, transcription = audio_input.get("format"), audio_input.get("transcription")
            has_turn, turn = "turn_detection" in audio_input, audio_input.get("turn_detection")
        else:  # the beta shape
            fmt, transcription = session.get("input_audio_format"), session.get("input_audio_transcription")
            has_turn, turn = "turn_detection" in session, session.get("turn_detection")
        if fmt is not None:
            self._format(fmt, event_id)
        if isinstance(transcription, dict):
            if transcription.get("model") is not None:
                self.model = str(transcription["model"])
            if "language" in transcription:
                self.language = (str(transcription["language"] or "").strip().lower()) or None
            if "prompt" in transcription:
                self.prompt = str(transcription["prompt"] or "") or None
            if "keywords" in transcription:
                keywords = transcription["keywords"] or []
                if not isinstance(keywords, list):
                    raise RealtimeError("keywords is a list of words", code="invalid_value",
                                        param="session.audio.input.transcription.keywords", event_id=event_id)
                self.hotwords = " ".join(str(k) for k in keywords) or None
        if has_turn:
            self._turn_detection(turn, event_id)

    def _format(self, fmt, event_id) -> None:
        if isinstance(fmt, str) and fmt in BETA_FORMATS:
            self.audio_format = BETA_FORMATS[fmt]
            self.rate = DEFAULT_RATE if fmt == "pcm16" else G711_RATE
            return
        if isinstance(fmt, dict) and fmt.get("type") in G711_TYPES:
            if fmt.get("rate", G711_RATE) != G711_RATE:
                raise RealtimeError(f"{fmt['type']} audio is 8000 Hz, not {fmt.get('rate')!r}", code="invalid_value",
                                    param="session.audio.input.format.rate", event_id=event_id)
            self.audio_format, self.rate = G711_TYPES[fmt["type"]], G711_RATE
            return
        if isinstance(fmt, dict) and fmt.get("type") in ("audio/pcm", "pcm16"):
            rate = fmt.get("rate", DEFAULT_RATE)
            if not isinstance(rate, int) or not RATES[0] <= rate <= RATES[1]:
                raise RealtimeError(f"audio rate {rate!r} is not one from {RATES[0]} to {RATES[1]} Hz",
                                    code="invalid_value", param="session.audio.input.format.rate",
                                    event_id=event_id)
            self.audio_format, self.rate = "int16", rate
            return
        raise RealtimeError(f"input audio format {fmt!r} is not supported: send pcm16, g711_ulaw or g711_alaw "
                            "(audio/pcm, audio/pcmu or audio/pcma)",
                            code="unsupported_format", param="input_audio_format", event_id=event_id)

    def _turn_detection(self, turn, event_id) -> None:
        if turn is None:
            self.vad, self.vad_type = None, ""
            return
        if not isinstance(turn, dict) or turn.get("type") not in ("server_vad", "semantic_vad"):
            raise RealtimeError("turn_detection is null, or an object of type server_vad or semantic_vad",
                                code="invalid_value", param="turn_detection", event_id=event_id)
        vad = VadParameters()
        try:
            if turn.get("threshold") is not None:
                vad.threshold = min(1.0, max(0.0, float(turn["threshold"])))
            if turn.get("silence_duration_ms") is not None:
                vad.min_silence_duration_ms = max(0, int(turn["silence_duration_ms"]))
            if turn.get("prefix_padding_ms") is not None:
                vad.speech_pad_ms = max(0, int(turn["prefix_padding_ms"]))
        except (TypeError, ValueError):
            raise RealtimeError("turn_detection's threshold, silence_duration_ms and prefix_padding_ms are "
                                "numbers", code="invalid_value", param="turn_detection", event_id=event_id) from None
        self.vad, self.vad_type = vad, turn["type"]

    def _turn_wire(self) -> Optional[dict]:
        if self.vad is None:
            return None
        return {"type": self.vad_type, "threshold": self.vad.threshold,
                "prefix_padding_ms": self.vad.speech_pad_ms, "silence_duration_ms": self.vad.min_silence_duration_ms}

    def _format_wire(self) -> dict:
        if self.audio_format == "int16":
            return {"type": "audio/pcm", "rate": self.rate}
        return {"type": {v: k for k, v in G711_TYPES.items()}[self.audio_format]}

    def decoder(self, max_frame_seconds: float):
        """A decoder of appended audio in this session's format, to 16 kHz."""
        from whisper_live.audio.decoder import AudioDecoder

        return AudioDecoder(self.audio_format, self.rate, max_frame_seconds=max_frame_seconds)

    def to_wire(self, beta: bool = False) -> dict:
        transcription = {"model": self.model, "language": self.language, "prompt": self.prompt,
                         "keywords": self.hotwords.split() if self.hotwords else None}
        if beta:
            beta_format = {v: k for k, v in BETA_FORMATS.items()}[self.audio_format]
            return {"id": self.id, "object": "realtime.transcription_session", "input_audio_format": beta_format,
                    "input_audio_transcription": transcription, "turn_detection": self._turn_wire(),
                    "input_audio_noise_reduction": None, "include": []}
        return {"type": "transcription", "id": self.id, "object": "realtime.transcription_session",
                "audio": {"input": {"format": self._format_wire(),
                                    "transcription": transcription, "turn_detection": self._turn_wire(),
                                    "noise_reduction": None}},
                "include": []}
