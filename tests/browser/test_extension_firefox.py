"""The Firefox extension (MV3), installed as a temporary add-on in headless firefox-esr, captioning a local
page that plays recorded speech from an ``<audio>`` element.

What a headless browser cannot do, and what stands in for it:
- there is no toolbar to click, so the popup is opened as a tab for the captioned tab (``popup.html?tab=ID``,
  as keyboard users can) and its own Start and Stop buttons are clicked;
- that toolbar click would also grant activeTab, which lets the background inject the capture and overlay
  scripts into the tab: the test build adds host_permissions for http://127.0.0.1/* instead
  (build.mjs --host-permission);
- the sound card (tests/browser/firefox.py).
Everything else is the real path: the options page saving to storage.sync, the background's WebSocket
session, the content script's Web Audio capture of the page's ``<audio>`` element, its resampling to 16 kHz,
the runtime port, storage.session, the overlay in the page and the popup.
"""

from __future__ import annotations

import functools
import http.server
import shutil
import subprocess
import threading
import time

import pytest

from whisper_live.wer import wer

from .conftest import REPO, _missing
from .fake_server import FakeServer
from .firefox import Firefox, firefox_binary
from .recorded_speech import recorded_speech

PAGE = """<!doctype html><html><head><meta charset="utf-8"><title>A page that talks</title></head>
<body style="font: 18px sans-serif; margin: 2rem; min-height: 500px">
<h1>A page that talks</h1><p>Press Play to hear a recorded sentence.</p>
<audio id="speech" src="speech.wav" controls preload="auto"></audio>
<button id="play" type="button" onclick="document.getElementById('speech').play()">Play</button></body></html>"""

STATE = "browser.storage.session.get('session').then((s) => s.session || null)"


@pytest.fixture(scope="module")
def speech(tmp_path_factory):
    return recorded_speech(tmp_path_factory.mktemp("speech"))


@pytest.fixture(scope="module")
def extension_dir(tmp_path_factory):
    node = shutil.which("node")
    if not node:
        _missing("node (apt-get install nodejs)")
    out = tmp_path_factory.mktemp("ext")
    subprocess.run([node, str(REPO / "extensions" / "build.mjs"), "firefox", "--out", str(out),
                    "--host-permission", "http://127.0.0.1/*"], check=True, capture_output=True)
    return out / "firefox"


@pytest.fixture(scope="module")
def speech_site(tmp_path_factory, speech):
    root = tmp_path_factory.mktemp("site")
    (root / "index.html").write_text(PAGE)
    shutil.copy(speech[0], root / "speech.wav")

    class Quiet(http.server.SimpleHTTPRequestHandler):
        def log_message(self, *args):
            pass

    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(Quiet, directory=str(root)))
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}/"
    httpd.shutdown()


@pytest.fixture(scope="module")
def firefox(extension_dir, artifacts):
    browser = Firefox(firefox_binary(), artifacts / "firefox-extension-gecko.log")
    try:
        assert browser.install_temporary_addon(extension_dir) == "captions@whisper-live.invalid"
        yield browser
    finally:
        browser.quit()


def configure(ff, server, language="", model=""):
    """Fill in and save the extension's options page, as a person would; return what storage.sync holds."""
    ff.switch(ff.first_tab)
    ff.marionette.navigate(ff.extension_url("options.html"))
    # The page shows the stored settings once storage answers (the server field is never empty then): typing
    # before that would be overwritten.
    ff.wait_for("return document.getElementById('server').value !== ''", what="the options page's settings")
    for field, value in (("server", server), ("model", model)):
        box = ff.element(f"#{field}")
        box.clear()
        if value:
            box.send_keys(value)
    ff.click(f"#language option[value='{language}']")
    ff.click("button[type=submit]")
    ff.wait_for("return document.getElementById('status').textContent === 'Saved.'", what="'Saved.'")
    return ff.js_promise("browser.storage.sync.get('settings').then((s) => s.settings)")


def open_speech_tab(ff, site):
    """The talking page in a tab of its own: (its window handle, its tab id for the extension)."""
    page = ff.open_tab(site)
    ff.wait_for("return document.getElementById('speech').readyState >= 3", what="the audio to load")
    ff.switch(ff.first_tab)
    tabs = ff.js_promise("browser.tabs.query({}).then((tabs) => tabs.map((t) => [t.id, t.url]))")
    [tab_id] = [tab for tab, url in tabs if url == site]
    return page, tab_id


def open_popup(ff, tab_id):
    return ff.open_tab(ff.extension_url(f"popup.html?tab={tab_id}"))


CLICK_NOTICE = "Click anywhere in the page once so that Firefox lets its audio play."  # content-capture.js


def start_captions(ff):
    """Click the popup's Start; return once the session is admitted and the capture waits for the page.

    Nobody has clicked the page yet, so Firefox holds its audio (default autoplay policy): the popup says so.
    """
    ff.click("#start")
    ff.wait_for("return document.getElementById('status').textContent === arguments[0]", CLICK_NOTICE,
                what="the popup to ask for a click in the page")


def play_to_the_end(ff, page, popup):
    ff.switch(page)
    ff.click("#play")  # a real click: Firefox lets the page, and the capture in it, play after it
    ff.switch(popup)
    ff.wait_for("return document.getElementById('status').textContent === 'Captioning this tab.'",
                what="the popup to say it is captioning")
    ff.switch(page)
    ff.wait_for("const a = document.getElementById('speech'); return a.ended", timeout=60, what="the audio's end")


def overlay(ff, page):
    """(status, text) of the caption overlay in the page, or None."""
    ff.switch(page)
    return ff.js("const h = document.querySelector('whisper-live-captions');"
                 "return h ? [h.dataset.status, h.shadowRoot.textContent] : null")


def wait_ended(ff, popup, timeout=60.0):
    ff.switch(popup)
    ff.wait_for("return document.getElementById('start').disabled === false", timeout=timeout,
                what="the session's end in the popup")
    deadline = time.monotonic() + timeout
    while (state := ff.js_promise(STATE))["status"] != "ended" and time.monotonic() < deadline:
        time.sleep(0.25)
    return state


def completed(state):
    return " ".join(s["text"].strip() for s in state["transcript"]["completed"])


def test_settings_reach_the_server_with_the_page_audio(firefox, speech_site):
    ff = firefox
    with FakeServer() as fake:
        saved = configure(ff, f"127.0.0.1:{fake.port}", language="fr", model="fake")
        assert (saved["server"], saved["language"], saved["model"]) == (f"127.0.0.1:{fake.port}", "fr", "fake")
        ff.click("#test")
        ff.wait_for("return document.getElementById('status').textContent.includes('is ready')",
                    what="Test connection")
        assert ff.text("#status") == f"The server at ws://127.0.0.1:{fake.port}/ is ready (backend: fake)."

        page, tab_id = open_speech_tab(ff, speech_site)
        popup = open_popup(ff, tab_id)
        start_captions(ff)
        sessions = len(fake.sessions)
        play_to_the_end(ff, page, popup)
        assert len(fake.sessions) == sessions
        session = fake.sessions[-1]
        # The page's speech, at 16 kHz: the clip (6.1 s) arrived while it played, and it is not silence.
        assert 5.5 * 16000 < session.audio.size, session.audio.size
        assert abs(session.audio).max() > 0.05
        ff.switch(popup)
        ff.click("#stop")
        state = wait_ended(ff, popup)
        assert session.ended, "END_OF_AUDIO was not sent"
        assert (session.options["language"], session.options["model"]) == ("fr", "fake")
        assert state["error"] is False and state["tabId"] == tab_id
        assert completed(state) == f"received {session.audio.size} samples."
        assert ff.text("#segments") == f"received {session.audio.size} samples."
        status, shown = overlay(ff, page)
        assert status == "ended" and f"received {session.audio.size} samples." in shown, shown
        ff.close_tab(popup)
        ff.close_tab(page)


def test_unreachable_server_is_reported_in_the_popup(firefox, speech_site):
    ff = firefox
    configure(ff, "127.0.0.1:9")
    page, tab_id = open_speech_tab(ff, speech_site)
    popup = open_popup(ff, tab_id)
    ff.click("#start")
    ff.wait_for("return !document.getElementById('error').hidden", what="the popup's error")
    assert "Could not connect to the transcription server at ws://127.0.0.1:9/" in ff.text("#error")
    assert ff.js("return [document.getElementById('start').disabled, document.getElementById('stop').disabled]") \
        == [False, True]
    ff.close_tab(popup)
    ff.close_tab(page)


def test_live_captions_of_recorded_speech(firefox, speech_site, speech, transcription_server, artifacts):
    ff = firefox
    host, port = transcription_server
    configure(ff, f"{host}:{port}", language="en")
    page, tab_id = open_speech_tab(ff, speech_site)
    popup = open_popup(ff, tab_id)
    start_captions(ff)
    play_to_the_end(ff, page, popup)
    ff.switch(popup)
    ff.click("#stop")
    state = wait_ended(ff, popup)
    ff.screenshot(artifacts / "firefox-extension-popup.png")
    reference = speech[1]
    text = completed(state)
    assert state["error"] is False, state["message"]
    # measured: WER 0.00 (tiny.en, this clip, headless firefox-esr 153)
    assert wer(reference, text) <= 0.2, text
    assert ff.text("#segments").replace("\n", " ") == text
    status, shown = overlay(ff, page)
    ff.screenshot(artifacts / "firefox-extension-overlay.png")
    assert status == "ended" and "world" in shown.lower(), shown
    ff.close_tab(popup)
    ff.close_tab(page)


def test_no_sound_output_is_explained_and_the_session_lives_on(extension_dir, speech_site, artifacts):
    # A Firefox of its own with no sound output device (cubeb without a backend), whose event pages are stopped
    # after 12 s without messages (30 s by default): the notices, repeated every 10 s, keep the session alive.
    ff = Firefox(firefox_binary(), artifacts / "firefox-extension-nosound-gecko.log",
                 prefs={"media.cubeb.force_mock_context": False, "media.cubeb.force_null_context": True,
                        "extensions.background.idle.timeout": 12000})
    try:
        ff.install_temporary_addon(extension_dir)
        with FakeServer() as fake:
            configure(ff, f"127.0.0.1:{fake.port}")
            page, tab_id = open_speech_tab(ff, speech_site)
            popup = open_popup(ff, tab_id)
            start_captions(ff)
            ff.switch(page)
            ff.click("#play")
            ff.switch(popup)
            ff.wait_for("return document.getElementById('status').textContent.includes('sound output device')",
                        what="the popup to ask for a sound output")
            time.sleep(15)
            state = ff.js_promise(STATE)
            assert state["status"] == "running" and "sound output device" in state["message"], state
            ff.click("#stop")
            state = wait_ended(ff, popup)
            assert state["error"] is False and state["message"] == "Transcription finished.", state
            assert fake.sessions[-1].ended and fake.sessions[-1].audio.size == 0
    finally:
        ff.quit()
