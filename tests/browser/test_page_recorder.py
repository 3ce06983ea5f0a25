"""The page in headless Chromium without WebCodecs' AudioEncoder (taken away before the page loads, as in a
browser that lacks it): it records Opus with MediaRecorder instead, a WebM byte stream in slices.

Against tests/browser/fake_server.py (which decodes the stream with the server's own WebM reader) and the real
server with tiny.en; the fake microphone speaks espeak-ng's sentence (conftest.py)."""

from __future__ import annotations

import pytest

from .conftest import KEY_WORDS, SENTENCE
from .fake_server import FakeServer
from .page_waits import TIMEOUT_MS, ended

NO_WEBCODECS = "delete window.AudioEncoder; delete window.AudioData;"


@pytest.fixture
def recorder_page(page):
    page.add_init_script(NO_WEBCODECS)
    return page


def test_without_webcodecs_the_page_sends_a_webm_stream(recorder_page):
    page = recorder_page
    with FakeServer() as fake:
        page.goto(fake.url)
        assert page.evaluate("typeof AudioEncoder") == "undefined"
        page.click("#start")
        page.wait_for_selector("#partial:has-text('receiving')", timeout=TIMEOUT_MS)
        assert page.inner_text("#codec-info") == "opus 24 kbit/s"
        page.wait_for_timeout(1500)
        page.click("#stop")
        ended(page, "finished")
        session = fake.sessions[-1]
        assert session.options["audio_format"] == "webm"
        assert session.ended, "END_OF_AUDIO was not sent"
        audio = session.audio
        # the speech of the fake microphone, decoded from the container: at least 2 s, not silence
        assert audio.size >= 2 * 16000 * 0.9, audio.size
        assert abs(audio).max() > 0.05
        assert session.wire_bytes / (audio.size / 16000) < 64000 / 15, session.wire_bytes
        assert f"received {audio.size} samples." in page.inner_text("#segments")


def test_live_transcript_through_mediarecorder(recorder_page, transcription_server):
    page = recorder_page
    host, port = transcription_server
    page.goto(f"http://{host}:{port}/")
    page.click("#start")
    page.wait_for_selector("#segments li:has-text('morning')", timeout=60000)
    assert page.inner_text("#codec-info") == "opus 24 kbit/s"
    page.click("#stop")
    ended(page, "finished", timeout=60000)
    text = page.inner_text("#segments").lower()
    found = [w for w in KEY_WORDS if w in text]
    assert len(found) >= 4, f"expected the words of {SENTENCE!r}, got {text!r}"
