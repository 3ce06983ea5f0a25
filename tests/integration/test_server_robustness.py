"""Bad input, capacity and time limits: each client gets a clear answer and the server keeps serving."""

import json
import socket
import time

import numpy as np
import pytest
from websockets.sync.client import connect

from tests.ws_session import load_audio, options_message, raw_session, stream
from whisper_live import protocol
from whisper_live.wer import normalize


def still_serves(server, espeak):
    outcome = stream(server.url, np.concatenate([load_audio(espeak("Good morning everyone.")),
                                                 np.zeros(16000, np.float32)]), speed=3.0)
    assert "morning" in normalize(outcome.text), outcome.text


def error_messages(outcome):
    return [r.message for r in outcome.of("error")]


@pytest.mark.parametrize("first, expected", [
    ("this is not json", "not valid JSON"),
    (b"\x00\x01binary", "JSON text frame"),
    ("[1, 2, 3]", "JSON object"),
    (options_message(audio_format="mp3"), "unknown audio_format"),
    (options_message(audio_format="mulaw", sample_rate=4000), "sample_rate must be a whole number of Hz"),
    (options_message(task="summarise"), "task must be"),
    (options_message(no_speech_thresh="high"), "no_speech_thresh"),
])
def test_bad_options_get_an_error_and_a_close(live_server, espeak, first, expected):
    outcome = raw_session(live_server.url, first)
    assert any(expected in m for m in error_messages(outcome)), outcome.replies
    assert outcome.closed_code is not None
    still_serves(live_server, espeak)


@pytest.mark.parametrize("frame, expected", [
    ("hello", "text frames"),
    (b"\x00\x00\x80", "not a whole number"),
    (np.array([0.1, np.nan], np.float32).tobytes(), "NaN"),
    (np.zeros(16000 * 11, np.float32).tobytes(), "longer than"),
])
def test_bad_audio_frames_get_an_error_and_a_close(live_server, espeak, frame, expected):
    good = np.zeros(4096, np.float32).tobytes()
    outcome = raw_session(live_server.url, options_message(), good, frame, good)
    assert outcome.of("ready")
    assert any(expected in m for m in error_messages(outcome)), outcome.replies
    assert outcome.closed_code in (1003, 1009)
    still_serves(live_server, espeak)


def test_frame_beyond_the_websocket_limit_is_closed_with_1009(live_server, espeak):
    outcome = raw_session(live_server.url, options_message(), np.zeros(16000 * 40, np.float32).tobytes())
    assert outcome.closed_code == 1009
    still_serves(live_server, espeak)


def test_a_client_that_vanishes_mid_stream_frees_its_slot(start_server, espeak):
    # its session is kept for a resume (it holds the slot) for --resume_timeout seconds, then freed
    server = start_server("--max_clients", "1", "--resume_timeout", "2")
    with connect(server.url, close_timeout=1) as ws:
        ws.send(options_message())
        assert json.loads(ws.recv(timeout=30))["message"] == protocol.SERVER_READY
        ws.send(np.zeros(4096, np.float32).tobytes())
        ws.socket.shutdown(socket.SHUT_RDWR)  # no close handshake: the connection just drops
    deadline = time.monotonic() + 30
    while True:
        outcome = stream(server.url, np.concatenate([load_audio(espeak("Good morning everyone.")),
                                                     np.zeros(16000, np.float32)]), speed=3.0)
        if outcome.of("ready") or time.monotonic() > deadline:
            break
        time.sleep(0.5)
    assert outcome.of("ready"), "the slot of the vanished client was not freed"
    assert "morning" in normalize(outcome.text)


def test_over_capacity_gets_wait_with_the_estimated_minutes(start_server):
    server = start_server("--max_clients", "1", "--max_connection_time", "120")
    with connect(server.url) as first:
        first.send(options_message(uid="first"))
        assert json.loads(first.recv(timeout=30))["message"] == protocol.SERVER_READY
        outcome = raw_session(server.url, options_message(uid="second"))
        waits = outcome.of("wait")
        assert waits and waits[0].uid == "second"
        assert 1.0 <= float(waits[0].message) <= 2.0  # the first client's 120 s end within 2 minutes
        assert outcome.closed_code is not None


def test_max_connection_time_ends_with_disconnect(start_server):
    server = start_server("--max_connection_time", "3")
    outcome = stream(server.url, np.zeros(16000 * 8, np.float32), end_of_audio=False, timeout=10)
    assert outcome.of("disconnect")
    assert outcome.replies[-1][1].kind == "disconnect"
