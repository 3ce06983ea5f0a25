"""Stand-ins for the unit tests of phone calls: a Media Streams socket, a runner that transcribes at once with
the scripted transcriber, and a server with a real client manager, metrics and callback policy."""

from __future__ import annotations

import base64
import json
import queue
import threading
from dataclasses import dataclass, field

import numpy as np
from websockets.exceptions import ConnectionClosedError

from tests.fakes import EnergyVad, ScriptedTranscriber
from whisper_live.admission import Admission, LoadMeter
from whisper_live.server.config import ServerConfig
from whisper_live.server.ops.metrics import Metrics
from whisper_live.server.session.client_manager import ClientManager
from whisper_live.streaming import Stream, StreamConfig

CLOSED = object()  # queued into a CallSocket: the peer went away without a close frame


class CallSocket:
    """What the call reads (queued messages; CLOSED: the connection drops) and how it was closed."""

    def __init__(self, path: str = "/twilio"):
        self.incoming: queue.Queue = queue.Queue()
        self.closed = None  # (code, reason)
        self.request = type("Request", (), {"path": path})()

    def recv(self, timeout):
        try:
            message = self.incoming.get(timeout=timeout)
        except queue.Empty:
            raise TimeoutError from None
        if message is CLOSED:
            raise ConnectionClosedError(None, None)
        return message

    def send(self, message):
        raise AssertionError("a unidirectional stream is never written to")

    def close(self, code=1000, reason=""):
        self.closed = (code, reason)

    def queue(self, *messages):
        for message in messages:
            self.incoming.put(message if message is CLOSED or isinstance(message, str) else json.dumps(message))


class PumpRunner:
    """Runs a client's windows at once, on the thread that notifies it (no scheduler, no model)."""

    def __init__(self, transcriber=None, fail=False):
        self.transcriber = transcriber or ScriptedTranscriber()
        self.meter = LoadMeter(workers=1)
        self.clients: set = set()
        self.fail = fail

    def add(self, client):
        self.clients.add(client)

    def remove(self, client):
        self.clients.discard(client)

    def notify(self, client):
        while client in self.clients:
            window = client.take_window()
            if window is None:
                return
            if self.fail:
                client.deliver(window, None, RuntimeError("model down"))
            else:
                client.deliver(window, self.transcriber.transcribe_batch([window.request])[0], None)


@dataclass
class FakeServer:
    """What a call uses of TranscriptionServer."""

    config: ServerConfig
    runner: PumpRunner = field(default_factory=PumpRunner)
    draining: bool = False

    def __post_init__(self):
        self.metrics = Metrics(gpu=False)
        self.manager = ClientManager(Admission(self.runner.meter, self.config.max_clients, enabled=False),
                                     self.config.max_connection_time)


def patch_streams(monkeypatch, server: FakeServer) -> None:
    """Calls get the fake runner, and streams with the energy VAD."""
    from whisper_live.server.session import handshake

    monkeypatch.setattr(handshake, "choose_runner",
                        lambda srv, options: handshake.Choice(server.runner))
    monkeypatch.setattr(handshake, "build_stream", lambda srv, options, runner: Stream(StreamConfig(), EnergyVad()))


class Posts:
    """The webhook's POSTs (a ``post`` for CallWebhook): answers ``status`` and records the fields."""

    def __init__(self, status: int = 204):
        self.status, self.fields, self.lock = status, [], threading.Lock()

    def __call__(self, target, fields, timeout):
        with self.lock:
            self.fields.append(dict(fields))
        return self.status

    def events(self):
        return [f["TranscriptionEvent"] for f in self.fields]

    def contents(self, final=True):
        return [f for f in self.fields if f["TranscriptionEvent"] == "transcription-content"
                and f["Final"] == ("true" if final else "false")]


def start(tracks=("inbound",), media_format=None, **params) -> dict:
    body = {"streamSid": "MZ1", "callSid": "CA1", "accountSid": "AC1", "tracks": list(tracks),
            "customParameters": params}
    if media_format is not None:
        body["mediaFormat"] = media_format
    return {"event": "start", "sequenceNumber": "1", "start": body, "streamSid": "MZ1"}


# the tests send float32 audio at 16 kHz (exact for the scripted transcriber); G.711 is tested in audio/
FLOAT32 = {"encoding": "audio/x-l16", "sampleRate": 16000, "channels": 1}


def media(track: str, chunk: int, audio: np.ndarray) -> dict:
    pcm = (np.clip(audio, -1, 1) * 32767).astype("<i2").tobytes()
    return {"event": "media", "streamSid": "MZ1", "media": {"track": track, "chunk": str(chunk),
                                                             "timestamp": "0",
                                                             "payload": base64.b64encode(pcm).decode()}}


def chunks(track: str, audio: np.ndarray, first: int = 1, size: int = 3200) -> list[dict]:
    return [media(track, first + i, audio[s:s + size]) for i, s in enumerate(range(0, len(audio), size))]


STOP = {"event": "stop", "streamSid": "MZ1", "stop": {"callSid": "CA1"}}
