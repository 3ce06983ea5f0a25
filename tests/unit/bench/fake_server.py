"""A small fake WhisperLive-protocol server on 127.0.0.1 for the benchmark's tests, and a run of the bench's
clients against it.

The fake server "transcribes" by position: after each whole second of audio it has received it waits
REPLY_DELAY seconds and commits one segment [i, i+1] holding the i-th word of WORDS; after every frame it
sends an in-progress segment up to the audio received so far. So the benchmark's latencies are known in
advance: final about REPLY_DELAY (plus the 24 ms the frame holding each whole second runs past it),
partial about 0. A client that asks for speaker labels gets them on completed segments: ``speaker_at(i)``
for second i.

Run as a script (``python fake_server.py PORT``) it serves on PORT until terminated (at most 60 s), as the
server a bench spawns.
"""

import sys
import threading
import time

import numpy as np

from whisper_live import protocol
from whisper_live.audio.decoder import AudioDecoder
from whisper_live.bench import clients, plan
from whisper_live.bench.audio import Speech

WORDS = ["alpha", "bravo", "charlie", "delta", "echo", "foxtrot"]
REPLY_DELAY = 0.2


def speaker_at(second: int) -> str:
    """The fake server's speaker label of second ``second``: two speakers, two seconds each in turn."""
    return f"SPEAKER_{second // 2 % 2:02d}"


def fake_session(conn, mode: str, admitted: list, lock: threading.Lock, formats: list, options: list) -> None:
    opts = protocol.ClientOptions.from_message(conn.recv())
    options.append(opts)
    uid = opts.uid
    decoder = AudioDecoder(opts.audio_format, opts.sample_rate)
    with lock:
        full = mode == "one-client" and bool(admitted)
        admitted.append(uid)
        formats.append((opts.audio_format, opts.sample_rate))
    if full:
        conn.send(protocol.wait(uid, 1.5))
        conn.close()
        return
    conn.send(protocol.server_ready(uid, "fake"))
    committed: list[protocol.Segment] = []
    while True:
        try:
            data = conn.recv()
        except Exception:
            return
        if data in (protocol.END_OF_AUDIO, protocol.END_OF_AUDIO.decode()):
            break
        decoder.decode(data)
        seconds = decoder.received_seconds  # of audio as sent (the resampler holds a few samples back)
        while len(committed) < int(seconds) and len(committed) < len(WORDS):
            i = len(committed)
            time.sleep(REPLY_DELAY)
            committed.append(protocol.Segment(float(i), float(i + 1), " " + WORDS[i].capitalize() + ".", True,
                                              speaker=speaker_at(i) if opts.enable_diarization else None))
        partial = protocol.Segment(float(len(committed)), seconds, " ...", False)
        conn.send(protocol.segments(uid, committed[-3:] + [partial]))
    if mode == "hang":
        time.sleep(30)  # never answers END_OF_AUDIO; the client must give up by itself
        return
    conn.send(protocol.segments(uid, committed[-3:]))
    conn.send(protocol.disconnect(uid))
    conn.close()


class FakeServer:
    def __init__(self, mode: str = "ok", port: int = 0):
        from websockets.sync.server import serve

        self.admitted: list = []
        self.formats: list = []  # (audio_format, sample_rate) of each session
        self.options: list = []  # the ClientOptions of each session
        lock = threading.Lock()
        self.server = serve(lambda conn: fake_session(conn, mode, self.admitted, lock, self.formats, self.options),
                            "127.0.0.1", port,
                            compression=None, ping_interval=None)
        self.port = self.server.socket.getsockname()[1]
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.server.shutdown()
        self.thread.join(10)


def noise(seconds: float) -> np.ndarray:
    return (np.random.default_rng(1).standard_normal(int(seconds * 16000)) * 0.01).astype(np.float32)


def run(server_port: int, n: int, seconds: float, finish_timeout: float = 10.0, watch=None, codec=None,
        bitrate=24):
    settings = plan.RunSettings(port=server_port, frame_samples=4096, ready_timeout=5.0,
                                finish_timeout=finish_timeout, codec=codec, bitrate=bitrate)
    reference = " ".join(WORDS[: int(seconds)])
    plans = plan.plan_clients([Speech(noise(seconds), reference, "noise")], n, 0, lambda i: noise(seconds), 0.3,
                              seed=3)
    return clients.run_clients(plans, settings, watch, idle_sample=0.2)


if __name__ == "__main__":
    with FakeServer(port=int(sys.argv[1])):
        time.sleep(60)
