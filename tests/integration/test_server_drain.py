"""SIGTERM with clients streaming real speech: every word spoken before the signal arrives as completed
text, as the same server transcribes it without a signal; new clients get WAIT meanwhile, and the process
exits 0 within --drain_timeout."""

from __future__ import annotations

import json
import signal
import threading
import time
import urllib.error
import urllib.request

import numpy as np
import pytest

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


def timed_words(outcome) -> list[tuple[float, float, str]]:
    """(start, end, word) of each normalized word of the completed segments, in order."""
    return [(w.start, w.end, token) for seg in outcome.completed for w in seg.words or []
            for token in normalize(w.word).split()]


def stream_together(server, audio, **options):
    """Two clients start streaming ``audio`` at once, at real-time pace: (their threads, {n: Outcome},
    {n: when n's audio began}); the dicts fill as they go."""
    results, began = {}, {}

    def client(n):
        results[n] = stream(server.url, audio, timeout=60, uid=f"c{n}", language="en", word_timestamps=True,
                            on_ready=lambda: began.setdefault(n, time.monotonic()), **options)

    threads = [threading.Thread(target=client, args=(n,)) for n in range(2)]
    for thread in threads:
        thread.start()
    return threads, results, began


def test_sigterm_delivers_what_was_spoken_and_exits_0(speech):
    """What the drain delivers is measured against what the same server makes of the same speech without a
    signal: two clients streamed it whole first, under the same load. The drain ends each stream where its
    audio stopped, as END_OF_AUDIO would; the word it cut may be missing, heard whole or heard as another."""
    audio = speech[1]
    server = ServerProcess("--max_clients", "4", "--no_admission_control", "--drain_timeout", str(DRAIN_TIMEOUT))
    try:
        threads, unsignalled, _ = stream_together(server, audio)
        for thread in threads:
            thread.join(90)
        threads, outcomes, began = stream_together(server, audio, end_of_audio=False)
        time.sleep(SIGNAL_AT)
        server.process.send_signal(signal.SIGTERM)
        signalled = time.monotonic()
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
    assert sorted(unsignalled) == sorted(outcomes) == [0, 1]
    for n, outcome in outcomes.items():
        assert outcome.of("disconnect") and outcome.closed_code == 1001
        reference = timed_words(unsignalled[n])
        # frames are paced from the stream's start: this much audio was sent by the signal, at most; a
        # client thread late on a busy machine sent up to half a second less
        sent = signalled - began[n] + CHUNK / 16000
        spoken = [word for start, end, word in reference if end <= sent - 0.5]
        begun = [word for start, end, word in reference if start < sent]
        assert len(spoken) >= 8, reference
        heard = normalize(outcome.text).split()
        words = [word for _, _, word in reference]
        best = min(_edit_distance(words[:k], heard) for k in range(len(spoken), len(begun) + 1))
        assert best <= 1, (" ".join(words[:len(begun)]), " ".join(heard))


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
