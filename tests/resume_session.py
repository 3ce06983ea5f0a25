"""A test client (independent of the client library) that drops its TCP connection at chosen points of
the audio, with no close frame, and resumes the session on a new connection."""

from __future__ import annotations

import contextlib
import socket
import threading
import time
from dataclasses import dataclass, field

import numpy as np
from websockets.sync.client import connect

from tests.conftest import SHARED_AUDIO
from tests.ws_session import CHUNK, Outcome, _drain, load_audio
from whisper_live import protocol


# The speech the resume tests drop connections in: a recording from ../shared/audio, or the same sentence
# spoken by espeak-ng without it.
CLIP = SHARED_AUDIO / "en/librispeech/1995-1837-0001.flac"
REFERENCE = ("IT WAS THE FIRST GREAT SORROW OF HIS LIFE IT WAS NOT SO MUCH THE LOSS OF THE COTTON ITSELF BUT "
             "THE FANTASY THE HOPES THE DREAMS BUILT AROUND IT")


def resume_clip(espeak) -> np.ndarray:
    """The resume tests' speech with 0.25 s of silence before it and 1 s after."""
    speech = load_audio(CLIP if CLIP.exists() else espeak(REFERENCE.lower()))
    silence = np.zeros(16000, np.float32)
    return np.concatenate([silence[:4000], speech, silence])


@dataclass
class Resumed(Outcome):
    resumes: list = field(default_factory=list)  # the SERVER_READY replies of the resumes
    refused: list = field(default_factory=list)  # replies to resumes with a wrong token

    @property
    def completed_versions(self) -> dict:
        """start -> every text a completed segment starting there was sent with."""
        texts: dict = {}
        for _, reply in self.replies:
            if reply.kind == "segments":
                for seg in reply.segments:
                    if seg.completed:
                        texts.setdefault(f"{seg.start:.3f}", set()).add(seg.text)
        return texts


def _abort(ws) -> None:
    ws.socket.shutdown(socket.SHUT_RDWR)  # no close handshake: the connection just drops


def stream_with_drops(url: str, audio: np.ndarray, drops: list[float], *, speed: float = 1.0,
                      uid: str = "dropper", try_wrong_token: bool = False, timeout: float = 120.0,
                      **options) -> Resumed:
    """Stream ``audio``; at each of ``drops`` (seconds of audio sent) abort the connection, reconnect,
    resume, and go on from the ``audio_received`` the server reports. Ends with END_OF_AUDIO."""
    with contextlib.ExitStack() as connections:
        return _stream_with_drops(connections, url, audio, drops, speed, uid, try_wrong_token, timeout, options)


def _stream_with_drops(connections, url, audio, drops, speed, uid, try_wrong_token, timeout, options) -> Resumed:
    outcome = Resumed()
    opts = protocol.ClientOptions(uid=uid, **options)
    ws = connections.enter_context(connect(url, open_timeout=30, max_size=2 ** 22))
    ws.send(opts.to_message())
    ready = protocol.parse_reply(ws.recv(timeout=30))
    assert ready.kind == "ready" and ready.resume_token, ready
    position = 0
    start = time.monotonic()
    for stop in [*drops, None]:
        reader = threading.Thread(target=_drain, args=(ws, outcome, timeout), daemon=True)
        reader.start()
        end = len(audio) if stop is None else int(stop * protocol.SAMPLE_RATE)
        while position < end:
            ws.send(protocol.encode_audio_frame(audio[position:min(position + CHUNK, end)]))
            position = min(position + CHUNK, end)
            delay = start + position / protocol.SAMPLE_RATE / speed - time.monotonic()
            if delay > 0:
                time.sleep(delay)
        if stop is None:
            outcome.sent_end_at = time.monotonic()
            ws.send(protocol.END_OF_AUDIO)
            reader.join(timeout)
            return outcome
        _abort(ws)
        reader.join(10)
        if try_wrong_token:
            with connect(f"{url}?uid={uid}", open_timeout=30) as bad:
                bad.send(protocol.ClientOptions(uid=uid, resume=True, resume_token="not-" + ready.resume_token)
                         .to_message())
                outcome.refused.append(protocol.parse_reply(bad.recv(timeout=30)))
        ws = connections.enter_context(connect(f"{url}?uid={uid}", open_timeout=30, max_size=2 ** 22))
        ws.send(protocol.ClientOptions(uid=uid, resume=True, resume_token=ready.resume_token).to_message())
        again = protocol.parse_reply(ws.recv(timeout=30))
        assert again.kind == "ready" and again.resumed, again
        outcome.resumes.append(again)
        position = int(round(again.audio_received * protocol.SAMPLE_RATE))
    return outcome
