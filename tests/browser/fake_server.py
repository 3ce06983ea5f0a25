"""A small server that speaks the protocol of docs/protocol.md without a model, for browser tests.

It serves the page through :func:`whisper_live.web.http.process_request`, like the real server, and each
session's behaviour is picked by the ``model`` option the client sends, so a test chooses it by typing in the
page's Model field:

- ``fake-wait``: answers ``WAIT`` (server full, 3.5 minutes) and closes;
- ``fake-error``: answers ``ERROR`` and closes;
- ``fake-drop``: ``SERVER_READY``, then drops the TCP connection (no close frame) after 0.5 s of audio;
- ``fake-speakers``: a conversation (:data:`CONVERSATION`): after 0.5 s of audio, two completed segments of
  two speakers and a partial one, and at ``END_OF_AUDIO`` the partial one completed; the segments carry
  ``speaker`` labels only when the client asked for ``enable_diarization``;
- anything else: ``SERVER_READY``, then for every 0.5 s of audio received a partial segment saying how many
  samples arrived; ``END_OF_AUDIO`` commits it and ends with ``DISCONNECT``.

Every session's options and received audio are recorded in ``sessions`` for the test to inspect.
"""

from __future__ import annotations

import json
import threading
from dataclasses import dataclass, field

import numpy as np
from websockets.sync.server import serve

from whisper_live.web.http import process_request


# fake-speakers: (start, end, text, speaker); the last one is in progress until END_OF_AUDIO.
CONVERSATION = [(0.0, 1.0, " Hello there.", "SPEAKER_00"), (1.0, 2.0, " Hi, how are you?", "SPEAKER_01"),
                (2.0, 3.0, " Fine, thanks.", "SPEAKER_00")]


def conversation(options: dict, done: bool) -> list:
    segments = []
    for i, (start, end, text, speaker) in enumerate(CONVERSATION):
        segment = {"start": f"{start:.3f}", "end": f"{end:.3f}", "text": text,
                   "completed": done or i < len(CONVERSATION) - 1}
        if options.get("enable_diarization"):
            segment["speaker"] = speaker
        segments.append(segment)
    return segments


@dataclass
class FakeSession:
    options: dict
    chunks: list = field(default_factory=list)
    ended: bool = False

    @property
    def audio(self) -> np.ndarray:
        if not self.chunks:
            return np.zeros(0, dtype=np.float32)
        return np.concatenate(self.chunks)


class FakeServer:
    def __init__(self, host: str = "127.0.0.1", port: int = 0):
        self.sessions: list[FakeSession] = []
        self._server = serve(self._handle, host, port, process_request=process_request)
        self.host, self.port = self._server.socket.getsockname()[:2]
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    def __enter__(self):
        self._thread.start()
        return self

    def __exit__(self, *exc):
        self._server.shutdown()
        self._thread.join(5)

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}/"

    def _handle(self, ws):
        options = json.loads(ws.recv())
        session = FakeSession(options)
        self.sessions.append(session)
        uid = options.get("uid", "")
        mode = options.get("model") or ""
        if mode == "fake-wait":
            ws.send(json.dumps({"uid": uid, "status": "WAIT", "message": 3.5}))
            ws.close()
            return
        if mode == "fake-error":
            ws.send(json.dumps({"uid": uid, "status": "ERROR", "message": "model fake-error cannot be loaded"}))
            ws.close()
            return
        ws.send(json.dumps({"uid": uid, "message": "SERVER_READY", "backend": "fake"}))
        ws.send(json.dumps({"uid": uid, "language": "en", "language_prob": 0.91}))
        received = 0
        reported = 0
        for frame in ws:
            if frame in (b"END_OF_AUDIO", "END_OF_AUDIO"):
                session.ended = True
                if mode == "fake-speakers":
                    ws.send(json.dumps({"uid": uid, "segments": conversation(options, done=True)}))
                    ws.send(json.dumps({"uid": uid, "message": "DISCONNECT"}))
                    ws.close()
                    return
                seconds = received / 16000
                segment = {"start": "0.000", "end": f"{seconds:.3f}", "text": f" received {received} samples.",
                           "completed": True}
                ws.send(json.dumps({"uid": uid, "segments": [segment]}))
                ws.send(json.dumps({"uid": uid, "message": "DISCONNECT"}))
                ws.close()
                return
            samples = np.frombuffer(frame, dtype="<f4")
            session.chunks.append(samples.copy())
            received += samples.size
            if mode == "fake-drop" and received >= 8000:
                ws.socket.shutdown(2)  # no close frame: the browser sees 1006
                ws.socket.close()
                return
            if mode == "fake-speakers":
                if not reported and received >= 8000:
                    reported = received
                    ws.send(json.dumps({"uid": uid, "segments": conversation(options, done=False)}))
                continue
            if received - reported >= 8000:
                reported = received
                seconds = received / 16000
                segment = {"start": "0.000", "end": f"{seconds:.3f}", "text": f" receiving {received} samples",
                           "completed": False}
                ws.send(json.dumps({"uid": uid, "segments": [segment]}))
