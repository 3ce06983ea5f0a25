"""Phone calls through the real server's /twilio: Twilio-shaped messages of real speech (mu-law at 8 kHz), a real
webhook on loopback, the real model (tiny.en).

The speech is two LibriSpeech clips from ../shared/audio (espeak-ng speech when it is absent); the calls are
streamed at real time by the phone-call benchmark's sender (whisper_live/bench/telephony.py).
"""

from __future__ import annotations

import json
import threading
import time
import urllib.request
from pathlib import Path

import numpy as np
import pytest
from websockets.exceptions import InvalidStatus
from websockets.sync.client import connect

from tests.conftest import SHARED_AUDIO
from tests.server_process import ServerProcess
from whisper_live.bench.telephony import Webhook, mulaw_8k, run_call
from whisper_live.telephony.signature import signature

TOKEN = "test-auth-token"
CLIPS = (("en/librispeech/1272-128104-0000.flac", "mister quilter is the apostle of the middle classes"),
         ("en/librispeech/1089-134691-0001.flac", "for a full hour he had paced up and down waiting"))


@pytest.fixture(scope="module")
def server():
    # a call's undelivered callbacks are given up 1 s after it ends (10 s by default): the dead webhook's test
    # waits for that
    server = ServerProcess("--max_clients", "4", "--no_admission_control", "--telephony_callback_allow",
                           "127.0.0.1", "--twilio_auth_token", TOKEN, "--telephony_callback_drain_timeout", "1")
    yield server
    server.stop()


@pytest.fixture(scope="module")
def clips(espeak):
    """[(16 kHz audio, words it says)] of the two speakers."""
    from faster_whisper.audio import decode_audio

    if (SHARED_AUDIO / CLIPS[0][0]).exists():
        return [(decode_audio(str(SHARED_AUDIO / path)), text) for path, text in CLIPS]
    return [(decode_audio(str(espeak(text))), text) for _, text in CLIPS]


def url(server) -> str:
    return f"ws://{server.host}:{server.port}/twilio"


def signed(server) -> dict:
    return {"X-Twilio-Signature": signature(TOKEN, f"wss://{server.host}:{server.port}/twilio")}


def pad(audio: np.ndarray, before: float = 0.0, after: float = 1.0) -> np.ndarray:
    return np.concatenate([np.zeros(int(before * 16000), np.float32), audio, np.zeros(int(after * 16000), np.float32)])


def at_once(*jobs, timeout: float = 180.0) -> None:
    """Run the callables together, each in a thread of its own, and wait for them all."""
    threads_ = [threading.Thread(target=job) for job in jobs]
    for thread in threads_:
        thread.start()
    for thread in threads_:
        thread.join(timeout)


def call(server, hook, name, tracks, **kwargs):
    return run_call(url(server), name, {t: mulaw_8k(a) for t, a in tracks.items()}, hook.url(name),
                    headers=signed(server), close_timeout=120, **kwargs)


def finals(hook, name, track=None):
    return [json.loads(f["TranscriptionData"])["transcript"] for _, f in hook.of(name)
            if f["TranscriptionEvent"] == "transcription-content" and f["Final"] == "true"
            and (track is None or f["Track"] == track)]


def words(texts) -> list[str]:
    return "".join(c for c in " ".join(texts).lower() if c.isalnum() or c == " ").split()


def metrics(server) -> str:
    with urllib.request.urlopen(f"http://{server.host}:{server.port}/metrics", timeout=10) as response:
        return response.read().decode()


def metric(server, name: str) -> float:
    """The value of a metric without labels in the server's /metrics."""
    return float(next(line.split()[1] for line in metrics(server).splitlines() if line.startswith(name + " ")))


def threads(pid: int) -> int:
    status = Path(f"/proc/{pid}/status").read_text()
    return int(next(line for line in status.splitlines() if line.startswith("Threads:")).split()[1])


@pytest.fixture(scope="module")
def warm_threads(server, clips):
    """The server's thread count after two calls with both tracks at once (four sessions, --max_clients 4): every
    inference worker has run the model, so the threads the model starts per calling thread are all there."""
    hook = Webhook()
    tracks = {"inbound": pad(clips[1][0]), "outbound": pad(clips[0][0])}
    try:
        at_once(*(lambda name=name: call(server, hook, name, tracks) for name in ("CAwarm1", "CAwarm2")))
        assert hook.wait_stopped("CAwarm1", 30) and hook.wait_stopped("CAwarm2", 30)
    finally:
        hook.close()
    return settled_threads(server.pid)


def settled_threads(pid: int) -> int:
    """The thread count once it has stopped changing (the calls' connection threads have wound down)."""
    last, still, give_up = threads(pid), 0, time.monotonic() + 30
    while still < 4 and time.monotonic() < give_up:
        time.sleep(0.5)
        now = threads(pid)
        still, last = (still + 1, last) if now == last else (0, now)
    return last


def test_a_call_with_both_tracks_is_transcribed_and_delivered_in_order(server, clips, warm_threads):
    (a, a_text), (b, b_text) = clips
    inbound = pad(a, after=len(b) / 16000 + 1.5)
    outbound = pad(b, before=len(a) / 16000 + 0.5, after=1.0)
    hook = Webhook()
    try:
        log = call(server, hook, "CAboth", {"inbound": inbound, "outbound": outbound})
        assert hook.wait_stopped("CAboth", 30)
    finally:
        hook.close()
    assert log.error is None and log.close_code == 1000
    fields = [f for _, f in hook.of("CAboth")]
    assert [int(f["SequenceId"]) for f in fields] == list(range(1, len(fields) + 1))
    assert fields[0]["TranscriptionEvent"] == "transcription-started" and fields[0]["Track"] == "both_tracks"
    assert fields[-1]["TranscriptionEvent"] == "transcription-stopped"
    assert all(f["CallSid"] == "CAboth" for f in fields)
    heard_a, heard_b = words(finals(hook, "CAboth", "inbound_track")), words(finals(hook, "CAboth", "outbound_track"))
    assert len(set(a_text.split()) & set(heard_a)) >= len(a_text.split()) - 2, heard_a
    assert len(set(b_text.split()) & set(heard_b)) >= len(b_text.split()) - 2, heard_b
    content = [f for f in fields if f["TranscriptionEvent"] == "transcription-content"]
    assert all(f["Final"] == "true" for f in content)  # no partial results unless asked for
    starts = {t: [float(f["SegmentStart"]) for f in content if f["Track"] == t] for t in ("inbound_track",
                                                                                         "outbound_track")}
    assert all(s == sorted(s) for s in starts.values())
    assert min(starts["outbound_track"]) > len(a) / 16000  # the outbound speaker spoke second


def test_a_webhook_failing_three_times_then_answering_gets_every_transcript(server, clips):
    hook = Webhook(fail_first=3)
    try:
        log = call(server, hook, "CAretry", {"inbound": pad(clips[0][0])})
        assert hook.wait_stopped("CAretry", 60)
    finally:
        hook.close()
    assert log.close_code == 1000 and hook.posts["CAretry"] == len(hook.of("CAretry")) + 3
    fields = [f for _, f in hook.of("CAretry")]
    assert [int(f["SequenceId"]) for f in fields] == list(range(1, len(fields) + 1))  # the first one included
    assert len(set(clips[0][1].split()) & set(words(finals(hook, "CAretry")))) >= len(clips[0][1].split()) - 2
    assert metric(server, "whisperlive_telephony_callback_retries_total") >= 3


def test_a_dead_webhook_costs_another_call_nothing(server, clips):
    dead, alive = Webhook(hang=frozenset({"CAdead"})), Webhook()
    results = {}
    try:
        at_once(*(lambda n=n, h=h: results.__setitem__(n, call(server, h, n, {"inbound": pad(clips[1][0])}))
                  for n, h in (("CAdead", dead), ("CAalive", alive))))
        assert alive.wait_stopped("CAalive", 30)
        assert results["CAdead"].close_code == 1000 and results["CAalive"].close_code == 1000
        assert len(set(clips[1][1].split()) & set(words(finals(alive, "CAalive")))) >= len(clips[1][1].split()) - 2
    finally:
        alive.close()
        dead.close()
    give_up = time.monotonic() + 60  # the dead call's sender gives its callbacks up, counted and logged
    while time.monotonic() < give_up and 'outcome="undelivered"} 0.0' in metrics(server):
        time.sleep(1)
    assert 'outcome="undelivered"} 0.0' not in metrics(server)
    assert "not delivered" in server.log() and "CAdead" in server.log()


def test_a_wrong_signature_is_refused_before_the_upgrade(server):
    for headers in ({}, {"X-Twilio-Signature": signature("not-the-token", f"wss://{server.host}:{server.port}/twilio")}):
        with pytest.raises(InvalidStatus) as refused:
            connect(url(server), additional_headers=headers, open_timeout=10)
        assert refused.value.response.status_code == 403
    assert 'whisperlive_connections_rejected_total{reason="twilio_signature"} 2.0' in metrics(server)


def test_a_malformed_event_closes_only_its_own_stream(server, clips):
    hook = Webhook()
    results = {}
    try:
        at_once(lambda: results.__setitem__("bad", call(server, hook, "CAbad", {"inbound": pad(clips[1][0])},
                                                        malformed_at=20)),
                lambda: results.__setitem__("good", call(server, hook, "CAgood", {"inbound": pad(clips[1][0])})))
        assert hook.wait_stopped("CAgood", 30) and hook.wait_stopped("CAbad", 30)
    finally:
        hook.close()
    assert results["bad"].close_code == 1003 and results["good"].close_code == 1000
    errors = [f for _, f in hook.of("CAbad") if f["TranscriptionEvent"] == "transcription-error"]
    assert len(errors) == 1 and "malformed" in errors[0]["TranscriptionError"]
    assert len(set(clips[1][1].split()) & set(words(finals(hook, "CAgood")))) >= len(clips[1][1].split()) - 2
    assert "malformed event" in server.log()


def test_a_full_server_refuses_a_call_cleanly(server, clips):
    hook = Webhook()
    held = []
    try:
        holders = [threading.Thread(target=lambda n=n: held.append(call(
            server, hook, n, {"inbound": np.zeros(16000 * 6, np.float32), "outbound": np.zeros(16000 * 6, np.float32)})))
            for n in ("CAhold1", "CAhold2")]
        for t in holders:
            t.start()
        time.sleep(2.5)  # both holding calls are admitted: four sessions, --max_clients 4
        refused = call(server, hook, "CAfull", {"inbound": pad(clips[1][0])})
        for t in holders:
            t.join(120)
        assert hook.wait_stopped("CAhold1", 30) and hook.wait_stopped("CAhold2", 30)
    finally:
        hook.close()
    assert refused.close_code == 1013
    assert [f["TranscriptionEvent"] for _, f in hook.of("CAfull")] == ["transcription-error"]
    assert 'whisperlive_connections_rejected_total{reason="full"} 1.0' in metrics(server)
    assert "call CAfull refused: server full" in server.log()
    assert all(h.close_code == 1000 for h in held)


def test_threads_come_back_once_the_calls_ended(server, warm_threads):
    give_up = time.monotonic() + 60  # (the dead webhook's call may still be giving its callbacks up)
    while threads(server.pid) > warm_threads and time.monotonic() < give_up:
        time.sleep(0.5)
    assert threads(server.pid) <= warm_threads
