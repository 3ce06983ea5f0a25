"""Fixtures for the browser tests: Debian's Chromium driven by Playwright (a browser with a fake microphone
and a page in it), speech made with espeak-ng."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
ARTIFACTS = REPO / "test-artifacts"
CHROMIUM = os.environ.get("WHISPER_LIVE_CHROMIUM", "/usr/bin/chromium")

# The sentence the fake microphone speaks, and stems of its words the transcript must contain (tiny.en
# mishears some of espeak-ng's words: "bread" comes out as "rent" or "red", "apples" as "Apple's").
SENTENCE = "Please remember to buy fresh bread and green apples at the market tomorrow morning."
KEY_WORDS = ("rememb", "appl", "market", "tomorrow", "morning")

# Quiet, offline, reproducible Chromium (no background traffic, no component downloads).
BASE_FLAGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-default-apps",
    "--metrics-recording-only",
    "--autoplay-policy=no-user-gesture-required",
]


def _missing(what: str):
    """Browser tooling that scripts/test.sh installs is missing: the install is broken, the test fails."""
    pytest.fail(f"{what} is not installed: scripts/test.sh installs it")


@pytest.fixture(scope="session")
def chromium_path() -> str:
    if not Path(CHROMIUM).exists():
        _missing(f"Chromium ({CHROMIUM}; apt-get install chromium)")
    return CHROMIUM


@pytest.fixture(scope="session")
def playwright_instance():
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        _missing("the playwright Python package (pip install playwright)")
    with sync_playwright() as p:
        yield p


@pytest.fixture(scope="session")
def artifacts() -> Path:
    ARTIFACTS.mkdir(exist_ok=True)
    return ARTIFACTS


@pytest.fixture(scope="session")
def media_dir(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("media")


def espeak(text: str, path: Path, pad_seconds: float = 1.5) -> Path:
    """Speak ``text`` into a 16-bit WAV at espeak-ng's 22.05 kHz, with silence after it."""
    if not shutil.which("espeak-ng"):
        _missing("espeak-ng")
    raw = path.with_suffix(".raw.wav")
    subprocess.run(["espeak-ng", "-s", "150", "-w", str(raw), text], check=True)
    if pad_seconds and shutil.which("sox"):
        subprocess.run(["sox", str(raw), str(path), "pad", "0.3", str(pad_seconds)], check=True)
        raw.unlink()
    else:
        raw.rename(path)
    return path


@pytest.fixture(scope="session")
def speech_wav(media_dir) -> Path:
    return espeak(SENTENCE, media_dir / "speech.wav")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_http(url: str, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while True:
        try:
            with urllib.request.urlopen(url, timeout=2) as resp:
                if resp.status == 200:
                    return
        except OSError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.3)


@pytest.fixture(scope="session")
def transcription_server(request):
    """The real server with tiny.en on 127.0.0.1: the suite's ``live_server`` where it exists, else our own."""
    try:
        server = request.getfixturevalue("live_server")
        yield server.host, server.port
        return
    except pytest.FixtureLookupError:
        pass
    port = free_port()
    log = open(ARTIFACTS.joinpath("browser-server.log") if ARTIFACTS.exists() else os.devnull, "w")
    proc = subprocess.Popen([sys.executable, str(REPO / "run_server.py"), "--host", "127.0.0.1", "--port", str(port)],
                            cwd=REPO, stdout=log, stderr=subprocess.STDOUT)
    try:
        wait_http(f"http://127.0.0.1:{port}/", 120)
        yield "127.0.0.1", port
    finally:
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
        log.close()


@pytest.fixture(scope="module")
def browser(playwright_instance, chromium_path, speech_wav):
    args = BASE_FLAGS + [
        "--use-fake-ui-for-media-stream",
        "--use-fake-device-for-media-stream",
        f"--use-file-for-fake-audio-capture={speech_wav}",
    ]
    browser = playwright_instance.chromium.launch(executable_path=chromium_path, headless=True, args=args)
    yield browser
    browser.close()


@pytest.fixture
def page(browser):
    context = browser.new_context(accept_downloads=True, viewport={"width": 1100, "height": 800})
    page = context.new_page()
    errors = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    yield page
    context.close()
    assert not errors, f"uncaught errors in the page: {errors}"
