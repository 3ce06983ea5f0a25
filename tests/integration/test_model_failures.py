"""A model that fails: the real server (in this process, real WebSockets on 127.0.0.1) around a transcriber
that raises. A client whose windows fail ``MAX_MODEL_ERRORS`` times in a row gets one ERROR and is closed;
fewer failures cost it nothing; the server goes on serving."""

import threading

import numpy as np
import pytest

from tests.server_process import free_port
from tests.ws_session import load_audio, stream
from whisper_live.server import app, model_pool
from whisper_live.server.config import ServerConfig
from whisper_live.server.session import lifecycle
from whisper_live.transcriber.base import RawSegment, Result, Transcriber

SENTENCE = " Good morning everyone."


class FailingTranscriber(Transcriber):
    """Raises for its first ``failures`` calls, then answers every window with SENTENCE."""

    backend = "fake"
    model_name = "fake"
    max_batch_size = 4

    def __init__(self, failures: int):
        self.failures = failures
        self.calls = 0
        self._lock = threading.Lock()

    def transcribe_batch(self, requests):
        with self._lock:
            self.calls += 1
            fail = self.calls <= self.failures
        if fail:
            raise RuntimeError("the model ran out of memory")
        return [Result([RawSegment(0.0, len(r.audio) / 16000 - r.decode_from, SENTENCE)]) for r in requests]


@pytest.fixture
def server_with(monkeypatch):
    """``server_with(transcriber)``: the real server, serving every client with ``transcriber``."""
    servers = []

    def start(transcriber):
        monkeypatch.setattr(model_pool, "load_transcriber", lambda *args, **kwargs: transcriber)
        server = app.TranscriptionServer(ServerConfig(host="127.0.0.1", port=free_port(), max_clients=4,
                                                          admission_control=False, workers=1,
                                                          compute_type="int8"))  # one load: no timing
        ready = threading.Event()
        thread = threading.Thread(target=server.serve_forever, args=(ready,), daemon=True)
        thread.start()
        assert ready.wait(30)
        servers.append((server, thread))
        return f"ws://127.0.0.1:{server.config.port}"

    yield start
    for server, thread in servers:
        server.shutdown()
        thread.join(10)


@pytest.fixture(scope="module")
def speech(espeak):
    return np.concatenate([np.zeros(8000, np.float32), load_audio(espeak("Good morning everyone.")),
                           np.zeros(16000, np.float32)])


def test_repeated_model_failure_gives_one_error_and_the_server_goes_on(server_with, speech):
    transcriber = FailingTranscriber(failures=lifecycle.MAX_MODEL_ERRORS)
    url = server_with(transcriber)
    failed = stream(url, speech, speed=2.0, uid="unlucky")
    errors = [r.message for r in failed.of("error")]
    assert errors == ["transcription failed: the model ran out of memory"], failed.replies
    assert failed.replies[-1][1].kind == "error" and not failed.text
    assert transcriber.calls >= lifecycle.MAX_MODEL_ERRORS
    served = stream(url, speech, speed=2.0, uid="next")
    assert not served.of("error") and served.text == SENTENCE.strip(), served.replies


def test_fewer_failures_than_the_limit_cost_the_client_nothing(server_with, speech):
    transcriber = FailingTranscriber(failures=lifecycle.MAX_MODEL_ERRORS - 1)
    outcome = stream(server_with(transcriber), speech, speed=2.0)
    assert not outcome.of("error"), outcome.replies
    assert outcome.text == SENTENCE.strip() and outcome.replies[-1][1].kind == "disconnect"
    assert transcriber.calls > lifecycle.MAX_MODEL_ERRORS - 1
