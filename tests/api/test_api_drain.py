"""SIGTERM with the API enabled: a transcription in flight is answered in full, a new request is refused,
and the process exits 0 (the server's drain drains the API through its drain hook)."""

from __future__ import annotations

import signal
import threading
import time

import httpx

from tests.api.conftest import ApiServerProcess
from tests.api.encoded_speech import LONG_TEXT, encoded


def test_sigterm_lets_a_transcription_in_flight_finish(espeak):
    server = ApiServerProcess("--drain_timeout", "120")
    try:
        answers = {}

        def transcribe():
            with open(encoded(espeak(LONG_TEXT), "ogg"), "rb") as f:
                answers["in flight"] = httpx.post(f"{server.base_url}/audio/transcriptions",
                                                  files={"file": ("long.ogg", f)}, timeout=300)

        thread = threading.Thread(target=transcribe)
        thread.start()
        deadline = time.monotonic() + 60
        while "of audio to transcribe" not in server.log() and time.monotonic() < deadline:
            time.sleep(0.1)
        server.process.send_signal(signal.SIGTERM)
        time.sleep(0.5)
        try:
            answers["new"] = httpx.get(f"{server.base_url}/models", timeout=10).status_code
        except httpx.HTTPError as exc:  # (or the port is already closed)
            answers["new"] = type(exc).__name__
        thread.join(180)
        assert server.process.wait(180) == 0
    finally:
        server.stop()
    assert answers["in flight"].status_code == 200 and "stella" in answers["in flight"].json()["text"].lower()
    assert answers["new"] in (503, "ConnectError")
