"""The Firefox extension (MV3), installed as a temporary add-on in headless firefox-esr, captioning a local
page that plays recorded speech from an ``<audio>`` element.

The toolbar button is "clicked" by running what Firefox runs for that click (tests/browser/firefox.py): the
add-on gets activeTab on the page and its real popup opens. The popup's buttons are then clicked from the
add-on's options tab, scripted in the background (``browser.extension.getViews`` reaches the open popup),
so the popup stays open over the selected page. The sound card is stood in for (tests/browser/firefox.py).
Everything else is the real path: the options page saving to storage.sync, activeTab injection of the
capture and overlay scripts, the background's WebSocket session, the content script's Web Audio capture of
the page's ``<audio>`` element, its resampling to 16 kHz, the runtime port, storage.session, the overlay in
the page and the popup.
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
from .firefox import EXTENSION_ID, Firefox, firefox_binary
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
    subprocess.run([node, str(REPO / "extensions" / "build.mjs"), "firefox", "--out", str(out)], check=True,
                   capture_output=True)
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
        assert browser.install_temporary_addon(extension_dir) == EXTENSION_ID
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
    """The talking page in a tab of its own, selected: (its window handle, its tab id for the extension)."""
    page = ff.open_tab(site)
    ff.wait_for("return document.getElementById('speech').readyState >= 3", what="the audio to load")
    ff.switch_in_background(ff.first_tab)
    # Without the "tabs" permission the add-on sees no URLs; the page's tab is the selected one.
    [tab_id] = ff.js_promise("browser.tabs.query({active: true, currentWindow: true}).then((t) => t.map((x) => x.id))")
    return page, tab_id


POPUP = "const popup = browser.extension.getViews({type: 'popup'})[0];"


def popup_js(ff, script, *args):
    """``script`` with ``popup`` (the open popup's window, or undefined), run from the options tab."""
    ff.switch_in_background(ff.first_tab)
    return ff.js(POPUP + script, *args)


def popup_wait(ff, condition, *args, timeout=30.0, what=""):
    ff.switch_in_background(ff.first_tab)
    return ff.wait_for(POPUP + "return popup && (" + condition + ");", *args, timeout=timeout, what=what)


def open_popup(ff, page):
    """Click the toolbar button over the page (closing a popup left open first); return once it shows the state
    of that tab."""
    if popup_js(ff, "if (popup) popup.close(); return Boolean(popup)"):
        ff.wait_for(POPUP + "return !popup;", what="the old popup to close")
    ff.switch(page)
    ff.click_toolbar_button(EXTENSION_ID)
    popup_wait(ff, "popup.document.body.dataset.ready === 'true'", what="the popup")


def popup_click(ff, button):
    popup_js(ff, "popup.document.getElementById(arguments[0]).click()", button)


CLICK_NOTICE = "Click anywhere in the page once so that Firefox lets its audio play."  # content-capture.js


def start_captions(ff, page):
    """Start captions from the toolbar popup; return once the session is admitted and the capture waits.

    Nobody has clicked the page yet, so Firefox holds its audio (default autoplay policy): the popup says so.
    """
    open_popup(ff, page)
    popup_click(ff, "start")
    popup_wait(ff, "popup.document.getElementById('status').textContent === arguments[0]", CLICK_NOTICE,
               what="the popup to ask for a click in the page")


def play_to_the_end(ff, page):
    ff.switch(page)
    ff.click("#play")  # a real click: Firefox lets the page, and the capture in it, play after it
    wait_state(ff, lambda st: st["message"] == "Captioning this tab.", what="the capture to run")
    ff.switch(page)
    ff.wait_for("const a = document.getElementById('speech'); return a.ended", timeout=60, what="the audio's end")


def wait_state(ff, predicate, timeout=30.0, what=""):
    """Poll the session's state in storage.session until ``predicate(state)``."""
    ff.switch_in_background(ff.first_tab)
    deadline = time.monotonic() + timeout
    while not ((state := ff.js_promise(STATE)) and predicate(state)):
        assert time.monotonic() < deadline, f"timed out waiting for {what}; state: {state}"
        time.sleep(0.25)
    return state


def stop_captions(ff, page, timeout=60.0):
    """Stop from the toolbar popup; wait until it shows the end; return the session's state."""
    open_popup(ff, page)
    popup_click(ff, "stop")
    popup_wait(ff, "!popup.document.getElementById('start').disabled", timeout=timeout,
               what="the session's end in the popup")
    ff.switch_in_background(ff.first_tab)
    state = ff.js_promise(STATE)
    assert state["status"] == "ended", state
    return state


def overlay(ff, page):
    """(status, text) of the caption overlay in the page, or None."""
    ff.switch(page)
    return ff.js("const h = document.querySelector('whisper-live-captions');"
                 "return h ? [h.dataset.status, h.shadowRoot.textContent] : null")


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
        start_captions(ff, page)
        sessions = len(fake.sessions)
        play_to_the_end(ff, page)
        assert len(fake.sessions) == sessions
        session = fake.sessions[-1]
        # The page's speech, at 16 kHz: the clip (6.1 s) arrived while it played, and it is not silence.
        assert 5.5 * 16000 < session.audio.size, session.audio.size
        assert abs(session.audio).max() > 0.05
        state = stop_captions(ff, page)
        assert session.ended, "END_OF_AUDIO was not sent"
        assert (session.options["language"], session.options["model"]) == ("fr", "fake")
        assert session.options["audio_format"] == "opus" and state["codec"].startswith("opus "), state["codec"]
        assert state["error"] is False and state["tabId"] == tab_id
        assert completed(state) == f"received {session.audio.size} samples."
        assert popup_js(ff, "return popup.document.getElementById('segments').textContent") \
            == f"received {session.audio.size} samples."
        status, shown = overlay(ff, page)
        assert status == "ended" and f"received {session.audio.size} samples." in shown, shown
        ff.close_tab(page)


def test_unreachable_server_is_reported_in_the_popup(firefox, speech_site):
    ff = firefox
    configure(ff, "127.0.0.1:9")
    page, tab_id = open_speech_tab(ff, speech_site)
    open_popup(ff, page)
    popup_click(ff, "start")
    popup_wait(ff, "!popup.document.getElementById('error').hidden", what="the popup's error")
    assert "Could not connect to the transcription server at ws://127.0.0.1:9/" in \
        popup_js(ff, "return popup.document.getElementById('error').textContent")
    assert popup_js(ff, "return ['start', 'stop'].map((id) => popup.document.getElementById(id).disabled)") \
        == [False, True]
    ff.close_tab(page)


def test_live_captions_of_recorded_speech(firefox, speech_site, speech, transcription_server, artifacts):
    ff = firefox
    host, port = transcription_server
    configure(ff, f"{host}:{port}", language="en")
    page, tab_id = open_speech_tab(ff, speech_site)
    start_captions(ff, page)
    play_to_the_end(ff, page)
    state = stop_captions(ff, page)
    reference = speech[1]
    text = completed(state)
    assert state["error"] is False, state["message"]
    assert state["codec"].startswith("opus "), f"the page's audio goes as Opus (WebCodecs), not {state['codec']}"
    # measured: WER 0.00 (tiny.en, this clip, headless firefox-esr 153)
    assert wer(reference, text) <= 0.2, text
    shown_in_popup = popup_js(ff, "return [...popup.document.querySelectorAll('#segments p')]"
                                  ".map((p) => p.textContent).join(' ')")
    assert shown_in_popup == text
    status, shown = overlay(ff, page)
    ff.screenshot(artifacts / "firefox-extension-overlay.png")
    assert status == "ended" and "world" in shown.lower(), shown
    ff.close_tab(page)


def test_no_sound_output_is_explained_and_the_session_lives_on(extension_dir, speech_site, artifacts):
    # A Firefox of its own with no sound output device (cubeb without a backend), whose event pages are stopped
    # after 7 s without messages (30 s by default): the notices, repeated every 5 s, keep the session alive.
    ff = Firefox(firefox_binary(), artifacts / "firefox-extension-nosound-gecko.log",
                 prefs={"media.cubeb.force_mock_context": False, "media.cubeb.force_null_context": True,
                        "extensions.background.idle.timeout": 7000})
    try:
        ff.install_temporary_addon(extension_dir)
        with FakeServer() as fake:
            configure(ff, f"127.0.0.1:{fake.port}")
            page, tab_id = open_speech_tab(ff, speech_site)
            start_captions(ff, page)
            ff.switch(page)
            ff.click("#play")
            wait_state(ff, lambda st: "sound output device" in st["message"], what="the sound output notice")
            time.sleep(10)
            state = ff.js_promise(STATE)
            assert state["status"] == "running" and "sound output device" in state["message"], state
            state = stop_captions(ff, page)
            assert state["error"] is False and state["message"] == "Transcription finished.", state
            assert fake.sessions[-1].ended and fake.sessions[-1].audio.size == 0
    finally:
        ff.quit()
