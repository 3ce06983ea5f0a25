"""The caption page of a room (/captions/ROOM) in headless Chromium, against the real server (tiny.en): opened
before the room exists, it waits, then shows a publisher's completed lines in large type with the speaker's
name, and says when the room has ended."""

from __future__ import annotations

import threading

import pytest

from tests.server_process import ServerProcess, free_port
from whisper_live.client import TranscriptionClient

from .conftest import KEY_WORDS, SENTENCE, espeak
from .page_waits import until

TIMEOUT_MS = 120_000


@pytest.fixture(scope="module")
def room_server():
    rest_port = free_port()
    server = ServerProcess("--enable_rest", "--rest_port", str(rest_port), "--room_linger", "3",
                           "--max_clients", "4", "--no_admission_control")
    server.rest_port = rest_port
    yield server
    server.stop()


def test_the_caption_page_waits_for_the_room_shows_its_lines_and_its_end(room_server, page, media_dir):
    speech = espeak(SENTENCE, media_dir / "captions.wav")
    base = f"http://{room_server.host}:{room_server.rest_port}"
    page.goto(f"{base}/captions/hall?names=1&size=40&lines=2&transparent=1")
    until(page, "document.getElementById('status').textContent.includes('Waiting')", timeout=20_000)
    assert page.evaluate("getComputedStyle(document.body).fontSize") == "40px"
    assert page.evaluate("getComputedStyle(document.body).backgroundColor") == "rgba(0, 0, 0, 0)"

    outcome, notices = {}, []

    def publish():
        client = TranscriptionClient(room_server.host, room_server.port, lang="en", log_transcription=False,
                                     show_progress=False, speed=1.0, room="hall", speaker_name="Ann",
                                     room_public=True, notice=notices.append)
        outcome["result"] = client(str(speech))

    speaker = threading.Thread(target=publish)
    speaker.start()
    try:
        # The page tries again every 5 s while the room does not exist, then follows it.
        until(page, "window.captions.state().completed >= 1", timeout=TIMEOUT_MS)
    finally:
        speaker.join(180)
    assert not speaker.is_alive()
    own = [s.text.strip() for s in outcome["result"].completed if s.text.strip()]
    assert own
    until(page, f"window.captions.state().completed >= {len(own)}", timeout=30_000)
    assert page.evaluate("window.captions.state().completed") == len(own)
    shown = page.locator("#captions p")
    assert 1 <= shown.count() <= 2  # lines=2
    assert shown.last.locator(".speaker").inner_text() == "Ann:"  # names=1
    assert own[-1] in shown.last.inner_text()
    whole = " ".join(own).lower()
    assert sum(word in whole for word in KEY_WORDS) >= 3
    assert any(f"{base}/captions/hall" in notice for notice in notices)
    # --room_linger 3: the room ends a few seconds after its only publisher left, and the page says so.
    until(page, "window.captions.state().ended", timeout=30_000)
    assert "The room has ended." in page.locator("#status").inner_text()
