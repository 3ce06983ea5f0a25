"""SIGTERM with clients streaming real speech: every word spoken before the signal arrives as completed
text, new clients get WAIT meanwhile, and the process exits 0 within --drain_timeout."""

from __future__ import annotations

import json
import signal
import threading
import time
import urllib.error
import urllib.request

import numpy as np
import pytest

from tests.offline_transcript import spoken_before
from tests.resume_session import CLIP, REFERENCE
from tests.server_process import ServerProcess
from tests.ws_session import CHUNK, load_audio, raw_session, stream, options_message
from whisper_live.wer import _edit_distance, normalize

DRAIN_TIMEOUT = 20
SIGNAL_AT = 5.0  # seconds after the clients started streaming: mid-sentence


@pytest.fixture(scope="module")
def speech(espeak):
    path = CLIP if CLIP.exists() else espeak(REFERENCE.lower())
    return path, np.concatenate([np.zeros(4000, np.float32), load_audio(path)])


def get(server, path):
    try:
        with urllib.request.urlopen(f"http://{server.host}:{server.port}{path}", timeout=10) as reply:
            return reply.status, json.loads(reply.read())
    except urllib.error.HTTPError as exc:
        return exc.code, json.loads(exc.read())


def test_sigterm_delivers_what_was_spoken_and_exits_0(speech):
    path, audio = speech
    server = ServerProcess("--max_clients", "4", "--no_admission_control", "--drain_timeout", str(DRAIN_TIMEOUT))
    outcomes = {}
    try:
        def client(n):
            outcomes[n] = stream(server.url, audio, timeout=60, end_of_audio=False, uid=f"c{n}", language="en")

        threads = [threading.Thread(target=client, args=(n,)) for n in range(2)]
        started = time.monotonic()
        for thread in threads:
            thread.start()
        time.sleep(SIGNAL_AT)
        server.process.send_signal(signal.SIGTERM)
        signalled = time.monotonic()
        # frames are paced from the streams' start: this much audio was sent by the signal, at most
        sent = (signalled - started) + CHUNK / 16000
        late = raw_session(server.url, options_message(uid="late"), wait=5)
        ready_status, ready = get(server, "/ready")
        rc = server.process.wait(DRAIN_TIMEOUT + 10)
        exited_after = time.monotonic() - signalled
        for thread in threads:
            thread.join(60)
        log = server.log()
    finally:
        server.stop()
    print(log)
    assert rc == 0
    assert exited_after < DRAIN_TIMEOUT + 5  # the drain's bound, and the start of a Python process
    assert late.of("wait"), late.replies  # no new session while draining
    assert ready_status == 503 and ready["draining"] is True, ready  # load balancers stop sending clients
    assert "draining" in log
    # the speech before the signal: a word or two less, as the clients' frames lag behind the clock
    expected = spoken_before(path, sent - 0.5)
    assert len(expected) >= 8
    for outcome in outcomes.values():
        heard = normalize(outcome.text).split()
        best = min(_edit_distance(expected, heard[:k]) for k in range(max(0, len(expected) - 2), len(heard) + 1))
        assert best <= 1, (expected, heard)
        assert outcome.of("disconnect") and outcome.closed_code == 1001


def test_a_second_signal_exits_at_once(start_server, speech):
    server = start_server("--drain_timeout", "60")
    # speech sent at 20x real time: the drain has a long backlog of it to transcribe
    backlog = np.concatenate([speech[1]] * 3)
    with_client = threading.Thread(target=stream, args=(server.url, backlog),
                                   kwargs={"speed": 20.0, "end_of_audio": False, "timeout": 30, "language": "en"})
    with_client.start()
    time.sleep(backlog.size / 16000 / 20)
    server.process.send_signal(signal.SIGTERM)
    time.sleep(0.3)
    assert server.process.poll() is None, "the drain had nothing to do: this test proves nothing"
    server.process.send_signal(signal.SIGTERM)
    assert server.process.wait(15) == 1
    with_client.join(30)
    assert "again: exiting now" in server.log()
