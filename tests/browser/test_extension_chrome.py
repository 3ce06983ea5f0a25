"""The Chrome extension (MV3), unpacked in headless Chromium, capturing a local page that plays speech.

What a headless browser cannot do, and what stands in for it:
- there is no toolbar to click, so the popup's "Start" is the same runtime message sent from an extension page;
- tabCapture demands that the user invoked the extension on that tab: --allowlisted-extension-id lifts that;
- the overlay is injected with the activeTab grant of that click: the test build adds host_permissions for
  http://127.0.0.1/* instead (build.mjs --host-permission).
Everything after that is the real path: tabCapture stream id, offscreen document, getUserMedia of the tab,
AudioWorklet resampling, WebSocket session, service worker, storage.session, overlay, popup.
"""

from __future__ import annotations

import functools
import hashlib
import http.server
import shutil
import subprocess
import threading
import time

import pytest

from .conftest import BASE_FLAGS, KEY_WORDS, REPO, SENTENCE, _missing
from .fake_server import FakeServer
from .page_waits import until

PAGE = """<!doctype html><html><head><meta charset="utf-8"><title>A page that talks</title></head>
<body style="font: 18px sans-serif; margin: 2rem; min-height: 500px">
<h1>A page that talks</h1><p>It plays a spoken sentence in a loop.</p>
<audio id="speech" src="speech.wav" controls loop autoplay></audio></body></html>"""


def extension_id(path: str) -> str:
    """Chromium's id for an unpacked extension: the SHA-256 of its path, first 32 hex digits mapped to a-p."""
    return "".join(chr(ord("a") + int(c, 16)) for c in hashlib.sha256(path.encode()).hexdigest()[:32])


@pytest.fixture(scope="module")
def extension_dir(tmp_path_factory):
    node = shutil.which("node")
    if not node:
        _missing("node (apt-get install nodejs)")
    out = tmp_path_factory.mktemp("ext")
    subprocess.run([node, str(REPO / "extensions" / "build.mjs"), "chrome", "--out", str(out),
                    "--host-permission", "http://127.0.0.1/*"], check=True, capture_output=True)
    return out / "chrome"


@pytest.fixture(scope="module")
def speech_site(tmp_path_factory, speech_wav):
    root = tmp_path_factory.mktemp("site")
    (root / "index.html").write_text(PAGE)
    shutil.copy(speech_wav, root / "speech.wav")

    class Quiet(http.server.SimpleHTTPRequestHandler):
        def log_message(self, *args):
            pass

    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(Quiet, directory=str(root)))
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}/"
    httpd.shutdown()


@pytest.fixture(scope="module")
def chrome(playwright_instance, chromium_path, extension_dir, tmp_path_factory):
    ext = str(extension_dir)
    ext_id = extension_id(ext)
    context = playwright_instance.chromium.launch_persistent_context(
        str(tmp_path_factory.mktemp("profile")),
        executable_path=chromium_path,
        headless=True,
        args=BASE_FLAGS + [f"--disable-extensions-except={ext}", f"--load-extension={ext}",
                           f"--allowlisted-extension-id={ext_id}"],
        # Playwright mutes audio and disables extensions by default; a muted tab captures as silence.
        ignore_default_args=["--disable-extensions", "--mute-audio"],
        viewport={"width": 1000, "height": 600},
    )
    worker = context.service_workers[0] if context.service_workers else context.wait_for_event("serviceworker")
    assert worker.url == f"chrome-extension://{ext_id}/service-worker.js"
    control = context.new_page()
    control.goto(f"chrome-extension://{ext_id}/options.html")
    yield context, control, ext_id
    context.close()


def configure(control, **settings):
    control.evaluate("s => chrome.storage.sync.set({settings: s})",
                     {"server": "localhost:9090", "language": "", "task": "transcribe", "model": "", "useVad": True,
                      "overlay": True, **settings})


def open_speech_tab(context, control, site):
    page = context.new_page()
    page.goto(site)
    page.wait_for_function("document.getElementById('speech').currentTime > 0", timeout=10000)
    tab_id = control.evaluate("url => chrome.tabs.query({url: url + '*'}).then(t => t[t.length - 1].id)", site)
    return page, tab_id


def state(control):
    return control.evaluate("chrome.storage.session.get('session').then(s => s.session || null)")


def wait_state(control, predicate, timeout=30.0):
    deadline = time.monotonic() + timeout
    last = None
    while time.monotonic() < deadline:
        last = state(control)
        if last and predicate(last):
            return last
        time.sleep(0.25)
    raise AssertionError(f"state never matched; last: {last}")


def texts(st, kind="completed"):
    return [s["text"] for s in ((st.get("transcript") or {}).get(kind) or [])]


def overlay(page):
    """(status, text) of the caption overlay in the page, or None."""
    return page.evaluate("(() => { const h = document.querySelector('whisper-live-captions');"
                         " return h ? [h.dataset.status, h.shadowRoot.textContent] : null })()")


def test_tab_audio_streams_through_the_offscreen_document(chrome, speech_site):
    context, control, ext_id = chrome
    with FakeServer() as fake:
        configure(control, server=f"127.0.0.1:{fake.port}", language="fr", model="fake")
        page, tab_id = open_speech_tab(context, control, speech_site)
        reply = control.evaluate("id => chrome.runtime.sendMessage({type: 'start', tabId: id})", tab_id)
        assert reply == {"ok": True}, reply
        st = wait_state(control, lambda s: any("receiving" in t for t in texts(s, "partial")))
        assert st["tabId"] == tab_id and st["status"] == "running"
        assert st["language"] == "en"
        # The offscreen document exists while capturing.
        contexts = control.evaluate("chrome.runtime.getContexts({contextTypes: ['OFFSCREEN_DOCUMENT']})")
        assert len(contexts) == 1 and contexts[0]["documentUrl"].endswith("/offscreen.html")
        status, shown = overlay(page)
        assert status == "running" and "receiving" in shown, shown
        time.sleep(1.5)
        started = time.monotonic()
        before = fake.sessions[-1].audio.size
        time.sleep(2.0)
        rate = (fake.sessions[-1].audio.size - before) / (time.monotonic() - started)
        reply = control.evaluate("id => chrome.runtime.sendMessage({type: 'stop', tabId: id})", tab_id)
        assert reply == {"ok": True}, reply
        st = wait_state(control, lambda s: s["status"] == "ended")
        session = fake.sessions[-1]
        # 16 kHz of real sound (the page's speech, not the silence of a muted tab), then END_OF_AUDIO.
        assert 13000 < rate < 19000, rate
        assert abs(session.audio).max() > 0.05
        assert session.ended and session.options["language"] == "fr" and session.options["model"] == "fake"
        assert texts(st) == [f" received {session.audio.size} samples."]
        assert st["error"] is False
        page.wait_for_function("document.querySelector('whisper-live-captions').shadowRoot.textContent"
                               ".includes('received')")
        # The capture is released with the session.
        wait = time.monotonic() + 5
        while control.evaluate("chrome.runtime.getContexts({contextTypes: ['OFFSCREEN_DOCUMENT']})") and \
                time.monotonic() < wait:
            time.sleep(0.2)
        assert control.evaluate("chrome.runtime.getContexts({contextTypes: ['OFFSCREEN_DOCUMENT']})") == []
        page.close()


def test_speakers_in_colours_renamed_in_the_popup_shown_over_the_page_and_exported(chrome, speech_site):
    context, control, ext_id = chrome
    chips = "[...document.querySelectorAll('#segments .speaker')].map((e) => e.textContent)"
    with FakeServer() as fake:  # its fake-speakers mode: two speakers, then the first again at the end
        configure(control, server=f"127.0.0.1:{fake.port}", model="fake-speakers", speakers=True)
        page, tab_id = open_speech_tab(context, control, speech_site)
        popup = context.new_page()
        popup.goto(f"chrome-extension://{ext_id}/popup.html?tab={tab_id}")
        popup.wait_for_selector("body[data-ready=true]")
        assert control.evaluate("id => chrome.runtime.sendMessage({type: 'start', tabId: id})", tab_id) == {"ok": True}
        popup.wait_for_selector("#segments p:nth-child(2)")
        assert fake.sessions[-1].options["enable_diarization"] is True
        assert popup.evaluate(chips) == ["SPEAKER_00", "SPEAKER_01"]
        colours = popup.eval_on_selector_all("#segments p",
                                             "els => els.map((e) => getComputedStyle(e).borderLeftColor)")
        assert colours[0] != colours[1], colours
        popup.click("#segments .speaker[data-speaker=SPEAKER_00]")
        popup.fill(".speaker-rename", "Ann")
        popup.press(".speaker-rename", "Enter")
        until(popup, f"{chips}.join() === 'Ann,SPEAKER_01'")  # an extension page: no eval for wait_for_function
        control.evaluate("id => chrome.runtime.sendMessage({type: 'stop', tabId: id})", tab_id)
        wait_state(control, lambda s: s["status"] == "ended")
        until(popup, f"{chips}.length === 3")
        assert popup.evaluate(chips) == ["Ann", "SPEAKER_01", "Ann"]
        # The overlay names the speakers too, the renamed one by its name.
        page.wait_for_function("document.querySelector('whisper-live-captions')?.dataset.status === 'ended'")
        status, shown = overlay(page)
        assert "SPEAKER_01:" in shown and "Ann:" in shown and "SPEAKER_00" not in shown, shown
        with popup.expect_download() as dl:
            popup.click("#download-vtt")
        vtt = open(dl.value.path(), encoding="utf-8").read()
        assert vtt.count("<v Ann>") == 2 and "<v SPEAKER_01>Hi, how are you?" in vtt, vtt
        with popup.expect_download() as dl:
            popup.click("#download-txt")
        assert open(dl.value.path(), encoding="utf-8").read() == \
            "Ann: Hello there.\nSPEAKER_01: Hi, how are you?\nAnn: Fine, thanks.\n"
        popup.close()
        page.close()


def test_unreachable_server_is_reported_in_popup(chrome, speech_site):
    context, control, ext_id = chrome
    configure(control, server="127.0.0.1:9")
    page, tab_id = open_speech_tab(context, control, speech_site)
    control.evaluate("id => chrome.runtime.sendMessage({type: 'start', tabId: id})", tab_id)
    st = wait_state(control, lambda s: s["status"] == "ended" and s["tabId"] == tab_id)
    assert st["error"] is True
    assert "Could not connect to the transcription server at ws://127.0.0.1:9/" in st["message"]
    popup = context.new_page()
    popup.goto(f"chrome-extension://{ext_id}/popup.html?tab={tab_id}")
    popup.wait_for_selector("#error:not([hidden])")
    assert "Could not connect" in popup.inner_text("#error")
    assert popup.is_enabled("#start") and popup.is_disabled("#stop")
    popup.close()
    page.close()


def test_live_captions_of_a_playing_tab(chrome, speech_site, transcription_server, artifacts):
    context, control, ext_id = chrome
    host, port = transcription_server
    configure(control, server=f"{host}:{port}")
    page, tab_id = open_speech_tab(context, control, speech_site)
    popup = context.new_page()
    popup.goto(f"chrome-extension://{ext_id}/popup.html?tab={tab_id}")
    popup.click("#start")  # the popup's own button: the same message the toolbar popup sends
    st = wait_state(control, lambda s: any("morning" in t.lower() for t in texts(s)), timeout=60)
    page.bring_to_front()
    page.screenshot(path=str(artifacts / "chrome-extension-overlay.png"))
    popup.wait_for_selector("#segments p")
    popup.screenshot(path=str(artifacts / "chrome-extension-popup.png"))
    popup.click("#stop")
    st = wait_state(control, lambda s: s["status"] == "ended", timeout=60)
    text = " ".join(texts(st)).lower()
    found = [w for w in KEY_WORDS if w in text]
    assert len(found) >= 4, f"expected the words of {SENTENCE!r}, got {text!r}"
    assert st["error"] is False
    page.wait_for_function("document.querySelector('whisper-live-captions')?.dataset.status === 'ended'")
    status, shown = overlay(page)
    assert status == "ended" and "morning" in shown.lower(), shown
    popup.close()
    page.close()
