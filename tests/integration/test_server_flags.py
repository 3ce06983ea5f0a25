"""Server flags and limits that only the real server shows: the real model, real WebSockets on 127.0.0.1.

``--no_single_model`` (the model a client asks for, an ERROR for one that cannot load), admission by load
(``--latency_target``), the options timeout (``--options_timeout``), and ``--backend tensorrt``.
"""

import concurrent.futures
import subprocess
import sys
import time

import numpy as np
import pytest
from websockets.exceptions import ConnectionClosed
from websockets.sync.client import connect

from tests.server_process import ROOT
from tests.ws_session import load_audio, options_message, raw_session, stream
from whisper_live import protocol
from whisper_live.wer import normalize

SENTENCES = ["Good morning everyone.", "The train leaves at noon.", "Please close the door.",
             "We will meet again tomorrow."]


def sentences_with_pauses(espeak) -> np.ndarray:
    pause = np.zeros(16000, np.float32)
    return np.concatenate([piece for s in SENTENCES for piece in (load_audio(espeak(s)), pause)])


OPTIONS_TIMEOUT = 2.0  # --options_timeout of the server below (the default is 10 s)


# --- --no_single_model --------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def per_client_models(start_server):
    """A server with --no_single_model; its short --options_timeout serves the options-timeout test (one server
    started for both)."""
    return start_server("--no_single_model", "--max_clients", "4", "--no_admission_control",
                        "--options_timeout", str(OPTIONS_TIMEOUT))


def test_no_single_model_serves_the_model_a_client_asks_for(per_client_models, espeak):
    audio = np.concatenate([load_audio(espeak("Good morning everyone.")), np.zeros(16000, np.float32)])
    default = stream(per_client_models.url, audio, speed=2.0)
    base = stream(per_client_models.url, audio, speed=2.0, model="base", language="en")
    for outcome in (default, base):
        assert not outcome.of("warning") and not outcome.of("error"), outcome.replies
        assert "morning" in normalize(outcome.text), outcome.text
    log = per_client_models.log()
    assert "loaded faster_whisper model tiny.en" in log and "loaded faster_whisper model base" in log, log


def test_no_single_model_gives_an_error_for_a_model_that_cannot_load(per_client_models, tmp_path, espeak):
    not_a_model = tmp_path / "empty-model-dir"
    not_a_model.mkdir()
    outcome = raw_session(per_client_models.url, options_message(model=str(not_a_model)))
    errors = [r.message for r in outcome.of("error")]
    assert len(errors) == 1 and "cannot be loaded" in errors[0] and "without model.bin" in errors[0], errors
    assert not outcome.of("ready") and outcome.closed_code == 1011
    audio = np.concatenate([load_audio(espeak("Good morning everyone.")), np.zeros(16000, np.float32)])
    assert "morning" in normalize(stream(per_client_models.url, audio, speed=2.0).text)


# --- admission by load ------------------------------------------------------------------------------------


def second_client_reply(url: str, audio: np.ndarray) -> protocol.Reply:
    """A first client streams ``audio`` with pauses (its finals are measured) and stays connected while a
    second one asks to be admitted; the second one's first reply."""
    with connect(url, open_timeout=30) as first:
        first.send(protocol.ClientOptions(uid="first", language="en").to_message())
        assert protocol.parse_reply(first.recv(timeout=30)).kind == "ready"
        start = time.monotonic()
        for n, i in enumerate(range(0, len(audio), 4096)):
            first.send(protocol.encode_audio_frame(audio[i:i + 4096]))
            time.sleep(max(0.0, start + (n + 1) * 4096 / 16000 / 2.0 - time.monotonic()))
        completed = set()
        deadline = time.monotonic() + 60
        while len(completed) < len(SENTENCES) - 1 and time.monotonic() < deadline:
            try:
                reply = protocol.parse_reply(first.recv(timeout=1))
            except TimeoutError:
                continue
            completed |= {s.start for s in reply.segments if s.completed}
        assert len(completed) >= 3, "the first client's finals were not served"
        with connect(url, open_timeout=30) as second:
            second.send(options_message(uid="second"))
            return protocol.parse_reply(second.recv(timeout=30))


def test_latency_target_refuses_a_client_when_finals_are_slower(start_server, espeak):
    audio = sentences_with_pauses(espeak)
    # No 2-core machine serves a final within 50 ms: the server is behind that target after three finals.
    strict = start_server("--latency_target", "0.05", "--max_clients", "4")
    lenient = start_server("--latency_target", "60", "--max_clients", "4")
    # both at once: the load of each only slows the other's finals, which the strict target misses anyway
    # and the lenient one (60 s) meets
    with concurrent.futures.ThreadPoolExecutor(2) as pool:
        refused, admitted = pool.map(lambda server: second_client_reply(server.url, audio), (strict, lenient))
    assert refused.kind == "wait" and refused.uid == "second", refused
    assert "final transcripts take" in strict.log() and "(target 0.1 s)" in strict.log(), strict.log()
    # the same speech under a target it meets: admitted
    assert admitted.kind == "ready", admitted


# --- the options timeout ----------------------------------------------------------------------------------


def test_a_connection_that_sends_no_options_is_closed(per_client_models, espeak):
    started = time.monotonic()
    with connect(per_client_models.url, open_timeout=30) as ws:
        with pytest.raises(ConnectionClosed):
            ws.recv(timeout=OPTIONS_TIMEOUT + 20)
        close = ws.protocol.close_rcvd
    waited = time.monotonic() - started
    assert (close.code, close.reason) == (1008, "no options received")
    # closed at the flag's timeout: not before it, and well before the default 10 s
    assert OPTIONS_TIMEOUT - 0.5 <= waited < 8.0, waited
    audio = np.concatenate([load_audio(espeak("Good morning everyone.")), np.zeros(16000, np.float32)])
    assert "morning" in normalize(stream(per_client_models.url, audio, speed=2.0).text)


# --- --backend tensorrt -----------------------------------------------------------------------------------


@pytest.mark.parametrize("extra", [[], ["--trt_model_path", str(ROOT), "--trt_multilingual"]],
                         ids=["no_engine", "with_engine_dir"])
def test_tensorrt_backend_says_it_is_not_available_in_this_release(extra):
    done = subprocess.run([sys.executable, str(ROOT / "run_server.py"), "--host", "127.0.0.1", "--port", "0",
                           "--backend", "tensorrt", *extra],
                          cwd=str(ROOT), capture_output=True, text=True, timeout=120)
    assert done.returncode == 2, done.stderr
    message = done.stderr.strip().splitlines()[-1]
    assert message.startswith("error: the tensorrt backend is not") and "in this release" in message, message
    assert "--backend faster_whisper" in message
