"""The page's room panel in headless Chromium against the real server (tiny.en, with its API): the fake
microphone's speech is published into a private room under the speaker's name, and the page shows the
room's reader link with a QR code of it drawn by the server."""

from __future__ import annotations

import time
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest

from tests.server_process import ServerProcess, free_port

from .conftest import KEY_WORDS
from .page_waits import ended, until

TIMEOUT_MS = 120_000


@pytest.fixture(scope="module")
def room_server():
    rest_port = free_port()
    server = ServerProcess("--enable_rest", "--rest_port", str(rest_port), "--max_clients", "4",
                           "--no_admission_control")
    server.rest_port = rest_port
    yield server
    server.stop()


def test_the_page_publishes_into_a_room_and_shows_its_reader_link_and_qr_code(room_server, page):
    page.goto(f"http://{room_server.host}:{room_server.port}/")
    assert page.is_hidden("#room-link")
    page.fill("#room", "studio")
    page.fill("#speakerName", "Eve")
    page.click("#start")
    page.wait_for_selector("#room-link", state="visible", timeout=TIMEOUT_MS)
    assert page.is_disabled("#room") and page.is_disabled("#speakerName")
    link = page.get_attribute("#room-page", "href")
    parts = urlsplit(link)
    assert f"{parts.scheme}://{parts.netloc}{parts.path}" == \
        f"http://{room_server.host}:{room_server.rest_port}/captions/studio"
    token = parse_qs(parts.query)["token"][0]  # a private room: its link carries the reader token
    assert page.inner_text("#room-page") == link
    # the QR code is the server's drawing of that link, and it loaded in the page
    assert "/v1/rooms/studio/qr.svg?url=" in page.get_attribute("#room-qr", "src")
    until(page, "document.getElementById('room-qr').complete && document.getElementById('room-qr').naturalWidth > 0",
          timeout=30_000)

    # the speech reaches the room under the speaker's name
    transcript = f"http://{room_server.host}:{room_server.rest_port}/v1/rooms/studio/transcript"

    def words():
        lines = httpx.get(transcript, params={"token": token, "format": "json"}).json()["lines"]
        assert {line["speaker"] for line in lines} <= {"Eve"}
        return " ".join(line["text"] for line in lines).lower()

    deadline = time.monotonic() + TIMEOUT_MS / 1000
    while sum(word in words() for word in KEY_WORDS) < 2:  # the fake microphone's sentence, in a loop
        assert time.monotonic() < deadline, words()
        time.sleep(0.5)
    page.click("#stop")
    ended(page, "finished", timeout=TIMEOUT_MS)
    assert page.is_enabled("#room")
