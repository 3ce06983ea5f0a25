"""A tiny protocol server for unit tests: it "transcribes" by committing one segment per second of audio.

It speaks through whisper_live.protocol like the real server, on 127.0.0.1 with an ephemeral port. Each
second of audio received becomes a completed segment ``"second N"`` (N from 0), the part of a second
received so far is an in-progress segment (with none, the last completed one is repeated open, as the real
server does for WhisperLive's own client), and the level of each second's audio is recorded so that tests
can check what arrived. ``mode`` makes it misbehave: "wait", "error" (at admission), "error_mid" and
"disconnect_mid" (after ``after_seconds`` of audio).
"""

from __future__ import annotations

import threading

import numpy as np
from websockets.exceptions import ConnectionClosed
from websockets.sync.server import serve

from whisper_live import protocol
from whisper_live.audio.decoder import AudioDecoder
from whisper_live.protocol import END_OF_AUDIO, SAMPLE_RATE, ClientOptions, Segment


class FakeServer:
    def __init__(self, mode: str = "ok", after_seconds: float = 1.0, wait_minutes: float = 2.5):
        self.mode = mode
        self.after_seconds = after_seconds
        self.wait_minutes = wait_minutes
        self.sessions: list[dict] = []   # per connection: options, audio (float32), frames (sizes)
        self.connections = 0
        self._server = serve(self._handle, "127.0.0.1", 0, max_size=None, compression=None)
        self.host = "127.0.0.1"
        self.port = self._server.socket.getsockname()[1]
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    def __enter__(self) -> "FakeServer":
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._server.shutdown()
        self._thread.join(5)

    def _handle(self, ws) -> None:
        self.connections += 1
        opts = ClientOptions.from_message(ws.recv())
        uid = opts.uid
        if self.mode == "wait":
            ws.send(protocol.wait(uid, self.wait_minutes))
            return
        if self.mode == "error":
            ws.send(protocol.error(uid, "model 'huge' cannot be loaded"))
            return
        session = {"options": opts, "chunks": [], "frames": []}
        self.sessions.append(session)
        ws.send(protocol.server_ready(uid, "fake"))
        done: list[Segment] = []
        received = 0
        decoder = AudioDecoder(opts.audio_format, opts.sample_rate)
        try:
            for message in ws:
                if message == END_OF_AUDIO or message == END_OF_AUDIO.decode():
                    break
                samples = decoder.decode(message)
                session["frames"].append(len(message))
                session["chunks"].append(samples)
                received += samples.size
                seconds = received / SAMPLE_RATE
                if self.mode in ("error_mid", "disconnect_mid") and seconds >= self.after_seconds:
                    ws.send(protocol.error(uid, "the model crashed") if self.mode == "error_mid"
                            else protocol.disconnect(uid))
                    return
                while len(done) < int(seconds):
                    k = len(done)
                    done.append(Segment(k, k + 1.0, f" second {k}", completed=True))
                pending = [] if seconds == int(seconds) else [Segment(int(seconds), seconds, " so far")]
                self._send_segments(ws, uid, done[-opts.send_last_n_segments:], pending)
            session["chunks"].append(decoder.flush())
            received += session["chunks"][-1].size
            seconds = received / SAMPLE_RATE
            if seconds > len(done):
                done.append(Segment(len(done), seconds, f" second {len(done)}", completed=True))
            self._send_segments(ws, uid, done[-opts.send_last_n_segments:], [])
            ws.send(protocol.disconnect(uid))
        except ConnectionClosed:
            pass

    @staticmethod
    def _send_segments(ws, uid: str, completed: list[Segment], pending: list[Segment]) -> None:
        ws.send(protocol.segments(uid, completed + pending))
        repeat = protocol.open_repeat(uid, completed, pending)
        if repeat is not None:
            ws.send(repeat)

    def audio(self, index: int = -1) -> np.ndarray:
        chunks = self.sessions[index]["chunks"]
        return np.concatenate(chunks) if chunks else np.zeros(0, np.float32)
