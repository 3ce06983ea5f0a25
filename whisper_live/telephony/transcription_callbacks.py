"""The form fields of Twilio's Real-Time Transcription status callbacks, one call's worth.

Twilio posts ``application/x-www-form-urlencoded`` requests to a ``<Transcription>``'s
``statusCallbackUrl``; this server posts the same fields, so a receiver written for Twilio's works
unchanged. Every callback has ``AccountSid``, ``CallSid``, ``TranscriptionSid``, ``Timestamp``
(ISO 8601, UTC), ``SequenceId`` (1, 2, ... per call, in the order they were made) and
``TranscriptionEvent``: ``transcription-started``, ``transcription-content`` (``TranscriptionData``:
JSON with ``transcript`` and ``confidence``; ``Final``: ``true`` or ``false``; ``Track``:
``inbound_track`` or ``outbound_track``; ``LanguageCode``), ``transcription-stopped``, and
``transcription-error`` (``TranscriptionError``, ``TranscriptionErrorCode``).
"""

from __future__ import annotations

import datetime
import itertools
import json
import secrets
import threading
from typing import Callable, Optional

PROVIDER = "whisper-live"


def timestamp(now: Optional[datetime.datetime] = None) -> str:
    now = now or datetime.datetime.now(datetime.timezone.utc)
    return now.astimezone(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


class TranscriptionCallbacks:
    """Builds a call's callbacks with increasing ``SequenceId`` (thread-safe: tracks may share it)."""

    def __init__(self, call_sid: str, account_sid: str = "", language_code: str = "en-US",
                 transcription_sid: Optional[str] = None, clock: Callable[[], str] = timestamp):
        self.call_sid = call_sid
        self.account_sid = account_sid
        self.language_code = language_code
        self.transcription_sid = transcription_sid or "GT" + secrets.token_hex(16)
        self._clock = clock
        self._sequence = itertools.count(1)
        self._lock = threading.Lock()

    def _fields(self, event: str, **extra: str) -> dict[str, str]:
        with self._lock:
            sequence = next(self._sequence)
        return {"AccountSid": self.account_sid, "CallSid": self.call_sid,
                "TranscriptionSid": self.transcription_sid, "Timestamp": self._clock(),
                "SequenceId": str(sequence), "TranscriptionEvent": event, **extra}

    def started(self, tracks: str = "inbound_track", partial_results: bool = False) -> dict[str, str]:
        return self._fields("transcription-started", ProviderName=PROVIDER, LanguageCode=self.language_code,
                            TranscriptionEngine=PROVIDER, Track=tracks,
                            PartialResults="true" if partial_results else "false")

    def content(self, track: str, transcript: str, confidence: float, final: bool,
                stability: Optional[float] = None, span: Optional[tuple[float, float]] = None) -> dict[str, str]:
        """One result of ``track`` (``inbound`` or ``outbound``); ``final`` False: a partial result. ``span``:
        (start, end) of its audio, seconds since the track began, sent as ``SegmentStart``/``SegmentEnd``
        (this server's addition to Twilio's fields)."""
        data = json.dumps({"transcript": transcript, "confidence": round(float(confidence), 4)},
                          ensure_ascii=False)
        extra = {"LanguageCode": self.language_code, "Track": _track(track), "TranscriptionData": data,
                 "Final": "true" if final else "false"}
        if not final and stability is not None:
            extra["Stability"] = f"{stability:.2f}"
        if span is not None:
            extra["SegmentStart"], extra["SegmentEnd"] = f"{span[0]:.3f}", f"{span[1]:.3f}"
        return self._fields("transcription-content", **extra)

    def stopped(self) -> dict[str, str]:
        return self._fields("transcription-stopped", ProviderName=PROVIDER)

    def error(self, message: str, code: str = "") -> dict[str, str]:
        return self._fields("transcription-error", TranscriptionError=message, TranscriptionErrorCode=code)


def _track(track: str) -> str:
    return track if track.endswith("_track") else f"{track}_track"


def transcript_of(fields: dict[str, str]) -> str:
    """The transcript a callback carries ("" for events without one): for logging undelivered text."""
    try:
        return str(json.loads(fields.get("TranscriptionData") or "{}").get("transcript", ""))
    except ValueError:
        return ""
