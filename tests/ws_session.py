"""A small WebSocket client for the server's integration tests (independent of the client library)."""

from __future__ import annotations

import json
import threading
import time
from dataclasses import dataclass, field
from typing import Callable, Optional

import numpy as np
from websockets.exceptions import ConnectionClosed
from websockets.sync.client import connect

from whisper_live import protocol
from whisper_live.audio.encoder import open_encoder

CHUNK = 4096


@dataclass
class Outcome:
    replies: list = field(default_factory=list)  # (arrival time, Reply)
    sent_end_at: Optional[float] = None
    closed_code: Optional[int] = None

    def of(self, kind):
        return [r for _, r in self.replies if r.kind == kind]

    @property
    def completed(self) -> list:
        """Completed segments in order, each once (by start time, as WhisperLive's client keeps them)."""
        seen = {}
        for _, reply in self.replies:
            if reply.kind == "segments":
                for seg in reply.segments:
                    if seg.completed:
                        seen.setdefault(f"{seg.start:.3f}", seg)
        return [seen[k] for k in sorted(seen, key=float)]

    @property
    def text(self) -> str:
        return "".join(s.text for s in self.completed).strip()


def load_audio(path) -> np.ndarray:
    from faster_whisper.audio import decode_audio

    return decode_audio(str(path))


def stream(url: str, audio: np.ndarray, speed: float = 1.0, timeout: float = 120.0,
           end_of_audio: bool = True, on_ready: Optional[Callable[[], None]] = None, **options) -> Outcome:
    """Send options, then the audio at ``speed`` x real time, then END_OF_AUDIO; collect every reply.

    ``on_ready`` is called once the server said SERVER_READY, before the audio (to start clients together)."""
    outcome = Outcome()
    opts = protocol.ClientOptions(uid=options.pop("uid", "test"), **options)
    encoder = open_encoder(opts.audio_format, opts.sample_rate)  # 16 kHz float32 audio to the options' format
    with connect(url, open_timeout=30, max_size=2 ** 22) as ws:
        ws.send(opts.to_message())
        first = protocol.parse_reply(ws.recv(timeout=30))
        outcome.replies.append((time.monotonic(), first))
        if first.kind != "ready":
            _drain(ws, outcome, timeout=5)
            return outcome
        if on_ready is not None:
            on_ready()
        reader = threading.Thread(target=_drain, args=(ws, outcome, timeout), daemon=True)
        reader.start()
        start = time.monotonic()
        try:
            for n, i in enumerate(range(0, len(audio), CHUNK)):
                for frame in encoder.frames(audio[i:i + CHUNK]):
                    ws.send(frame)
                delay = start + (n + 1) * CHUNK / protocol.SAMPLE_RATE / speed - time.monotonic()
                if delay > 0:
                    time.sleep(delay)
            if end_of_audio:
                for frame in encoder.flush_frames():
                    ws.send(frame)
                outcome.sent_end_at = time.monotonic()
                ws.send(protocol.END_OF_AUDIO)
        except ConnectionClosed:
            pass  # the server ended the session (the test looks at why)
        reader.join(timeout)
    return outcome


def _drain(ws, outcome: Outcome, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    try:
        while time.monotonic() < deadline:
            message = ws.recv(timeout=max(0.1, deadline - time.monotonic()))
            outcome.replies.append((time.monotonic(), protocol.parse_reply(message)))
    except TimeoutError:
        pass
    except Exception:
        outcome.closed_code = getattr(ws.protocol.close_rcvd, "code", None)


def raw_session(url: str, first_message, *then, wait: float = 10.0) -> Outcome:
    """Send arbitrary frames (for bad-input tests) and collect the replies until the server closes."""
    outcome = Outcome()
    with connect(url, open_timeout=30) as ws:
        ws.send(first_message)
        for frame in then:
            try:
                ws.send(frame)
            except Exception:
                break
        _drain(ws, outcome, wait)
    return outcome


def options_message(**options) -> str:
    return json.dumps({"uid": "bad", **options})
