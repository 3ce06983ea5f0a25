"""The page against the real server through a relay that resets the connection mid-session: the page says
it is reconnecting, resumes the session and goes on transcribing; the session ends 'finished', not 'lost'."""

from __future__ import annotations

import pytest

from tests.blip_proxy import BlipProxy

from .conftest import KEY_WORDS, SENTENCE
from .page_waits import ended


@pytest.fixture
def relay(transcription_server):
    proxy = BlipProxy(*transcription_server)
    yield proxy
    proxy.close()


def test_the_page_resumes_after_a_dropped_connection(page, relay, artifacts):
    page.goto(f"http://127.0.0.1:{relay.port}/")
    page.click("#start")
    page.wait_for_selector("#segments li:has-text('morning')", timeout=60000)
    statuses = []
    page.expose_function("noteStatus", lambda text: statuses.append(text))
    page.evaluate("""() => new MutationObserver(() => window.noteStatus(document.getElementById('status').textContent))
        .observe(document.getElementById('status'), {childList: true, characterData: true, subtree: true})""")
    before = page.locator("#segments li").count()
    relay.blip()
    page.wait_for_selector("#status:has-text('Resumed')", timeout=30000)
    # the fake microphone loops the sentence: it is transcribed again after the resume
    page.locator("#segments li").nth(before).wait_for(state="attached", timeout=60000)
    page.screenshot(path=str(artifacts / "page-resumed.png"), full_page=True)
    page.click("#stop")
    ended(page, "finished", timeout=60000)
    assert any("reconnecting" in s for s in statuses), statuses
    assert relay.connections >= 2
    text = page.inner_text("#segments").lower()
    assert len([w for w in KEY_WORDS if w in text]) >= 4, f"expected the words of {SENTENCE!r}, got {text!r}"
