"""Every thread and every megabyte a session takes is given back, however it ends.

The real server (tiny.en) serves rounds of sessions that end in every way a WhisperLive-protocol session
can: END_OF_AUDIO, a close frame before it, a dropped TCP connection never resumed (it expires after the
resume timeout), a drop then a resume, the maximum connection time, and refusals (bad options, a resume with
a wrong token). Once the resume timeout has passed, the server process holds the threads and memory it held
after a first warm-up round. (The drain ends the process: tests/integration/test_server_drain.py and
tests/unit/server/session/test_lifecycle.py cover that ending.)
"""

from __future__ import annotations

import concurrent.futures
import json
import socket
import threading
import time
from pathlib import Path

import numpy as np
import pytest
from websockets.exceptions import ConnectionClosed
from websockets.sync.client import connect

from tests.server_process import ServerProcess
from tests.ws_session import load_audio
from whisper_live import protocol

RESUME_TIMEOUT = 2.0
TIME_LIMIT = 4.0  # --max_connection_time: the sessions that outstay it
ROUNDS = 3  # after the warm-up round
PER_KIND = 8  # sessions of each kind per round


def proc_status(pid: int) -> tuple[int, float]:
    """(threads, RSS in MB) of process ``pid``."""
    fields = dict(line.split(":", 1) for line in Path(f"/proc/{pid}/status").read_text().splitlines())
    return int(fields["Threads"]), int(fields["VmRSS"].split()[0]) / 1024


def open_session(url: str, uid: str, **options):
    ws = connect(url, open_timeout=30, max_size=None)
    ws.send(json.dumps({"uid": uid, "language": "en", **options}))
    ready = protocol.parse_reply(ws.recv(timeout=30))
    assert ready.kind == "ready", ready
    return ws, ready


def read_to_close(ws, timeout: float = 60.0) -> None:
    give_up = time.monotonic() + timeout
    try:
        while time.monotonic() < give_up:
            ws.recv(timeout=max(0.1, give_up - time.monotonic()))
    except (ConnectionClosed, TimeoutError):
        pass
    ws.close()


def drop(ws) -> None:
    ws.socket.shutdown(socket.SHUT_RDWR)  # no close frame: the connection just drops
    ws.socket.close()


def ended(url, uid, audio):
    ws, _ = open_session(url, uid)
    ws.send(protocol.encode_audio_frame(audio))
    ws.send(protocol.END_OF_AUDIO)
    read_to_close(ws)


def closed_early(url, uid, audio):
    ws, _ = open_session(url, uid)
    ws.send(protocol.encode_audio_frame(audio))
    ws.close(1000)


def dropped(url, uid, audio):
    ws, _ = open_session(url, uid)
    ws.send(protocol.encode_audio_frame(audio))
    time.sleep(0.2)
    drop(ws)


def resumed(url, uid, audio):
    ws, ready = open_session(url, uid)
    ws.send(protocol.encode_audio_frame(audio))
    time.sleep(0.2)
    drop(ws)
    again, back = open_session(url, uid, resume=True, resume_token=ready.resume_token)
    assert back.resumed
    again.send(protocol.END_OF_AUDIO)
    read_to_close(again)


def outstayed(url, uid, audio):
    ws, _ = open_session(url, uid)
    ws.send(protocol.encode_audio_frame(audio))
    read_to_close(ws, timeout=TIME_LIMIT + 30)  # the server ends it at its time limit


def refused(url, uid, audio):
    with connect(url, open_timeout=30) as ws:
        ws.send("not json")
        read_to_close(ws)
    with connect(url, open_timeout=30) as ws:
        ws.send(json.dumps({"uid": uid, "resume": True, "resume_token": "wrong"}))
        assert protocol.parse_reply(ws.recv(timeout=30)).kind == "error"
        read_to_close(ws)


KINDS = (ended, closed_early, dropped, resumed, outstayed, refused)


def run_round(url: str, audio: np.ndarray, name: str) -> None:
    """PER_KIND sessions of every kind, a kind's sessions at once."""
    for kind in KINDS:
        errors = []

        def one(i, kind=kind):
            try:
                kind(url, f"{name}-{kind.__name__}-{i}", audio)
            except Exception as exc:  # noqa: BLE001 (reported below)
                errors.append(exc)

        threads = [threading.Thread(target=one, args=(i,)) for i in range(PER_KIND)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(120)
        assert not errors, errors


def settled(pid: int, seconds: float) -> tuple[int, float]:
    """The process's (threads, RSS MB) once the resume timeout has passed and its threads stopped changing."""
    time.sleep(seconds)
    last = proc_status(pid)
    for _ in range(20):
        time.sleep(0.5)
        now = proc_status(pid)
        if now[0] == last[0]:
            return now
        last = now
    return last


def serve_rounds(audio: np.ndarray) -> tuple[tuple[int, float], tuple[int, float]]:
    """(threads, RSS MB) of a server of its own after a warm-up round, and after ROUNDS more rounds of every
    kind."""
    server = ServerProcess("--max_clients", "1000", "--no_admission_control",
                           "--resume_timeout", str(RESUME_TIMEOUT), "--max_connection_time", str(TIME_LIMIT))
    try:
        run_round(server.url, audio, "warm-up")
        before = settled(server.pid, RESUME_TIMEOUT + 1)
        for r in range(ROUNDS):
            run_round(server.url, audio, f"round{r}")
        after = settled(server.pid, RESUME_TIMEOUT + 1)
    finally:
        server.stop()
    print(f"{ROUNDS * PER_KIND * len(KINDS)} sessions: threads {before[0]} -> {after[0]}, "
          f"RSS {before[1]:.1f} -> {after[1]:.1f} MB")
    return before, after


@pytest.fixture(scope="module")
def measured(espeak) -> dict:
    """The rounds of both tests below, each on its own server, run at the same time (each server is measured
    alone; most of a round is waiting for time limits and resume timeouts):

    * speech, so that the sessions' streams are in the runner when they end;
    * room noise: every path of a session's life (connections and their threads, streams and their buffers,
      the VAD, resume timers) without model calls, whose working buffers make the RSS of a server at a given
      moment vary by tens of MB with what it decoded last, session or not.
    """
    speech = load_audio(espeak("the quick brown fox jumps over the lazy dog"))
    audios = {"speech": np.concatenate([np.zeros(4000, np.float32), speech, np.zeros(8000, np.float32)]),
              "noise": (np.random.default_rng(0).standard_normal(2 * 16000) * 0.001).astype(np.float32)}
    with concurrent.futures.ThreadPoolExecutor(2) as pool:
        futures = {name: pool.submit(serve_rounds, audio) for name, audio in audios.items()}
        return {name: future.result() for name, future in futures.items()}


def test_no_thread_outlives_its_session_however_it_ends(measured):
    (threads_before, _), (threads_after, _) = measured["speech"]
    assert threads_after <= threads_before + 2


def test_memory_returns_to_its_start_however_sessions_end(measured):
    (_, rss_before), (_, rss_after) = measured["noise"]
    assert rss_after <= rss_before + 5.0
