"""Speakers on the page in headless firefox-esr (tests/browser/firefox.py), against the two-speaker
conversation of tests/browser/fake_server.py: two colours, a rename by clicking a name, and a download
that carries the names."""

from __future__ import annotations

import json

import pytest

from .fake_server import FakeServer
from .firefox import Firefox, firefox_binary

CHIPS = "return [...document.querySelectorAll('#segments .speaker')].map((e) => e.textContent)"
COLOURS = "return [...document.querySelectorAll('#segments li')].map((e) => getComputedStyle(e).borderLeftColor)"
# What the page hands to the browser to download: each Blob made into a link, read back as text.
KEEP_DOWNLOADS = """
window.__downloads = [];
const make = URL.createObjectURL;
URL.createObjectURL = (blob) => { blob.text().then((t) => window.__downloads.push(t)); return make(blob); };
"""


@pytest.fixture(scope="module")
def firefox(artifacts):
    browser = Firefox(firefox_binary(), artifacts / "firefox-page-speakers-gecko.log")
    try:
        yield browser
    finally:
        browser.quit()


def rename(ff, label, name):
    ff.click(f"#segments .speaker[data-speaker={label}]")
    # WebDriver's clear() leaves the field (a blur, which saves): set the text, then press Enter in it.
    ff.js("document.querySelector('.speaker-rename').value = arguments[0]", name)
    ff.element(".speaker-rename").send_keys("\ue007")  # Enter


def test_two_speakers_in_two_colours_renamed_and_exported(firefox, artifacts):
    ff = firefox
    with FakeServer() as fake:
        ff.marionette.navigate(fake.url)
        ff.click("#settings summary")
        ff.click("#speakers")
        ff.element("#model").send_keys("fake-speakers")
        ff.click("input[name=source][value=mic]")
        ff.click("#start")
        ff.wait_for("return document.querySelectorAll('#segments li').length === 2", what="two speakers' lines")
        assert fake.sessions[-1].options["enable_diarization"] is True
        assert ff.js(CHIPS) == ["SPEAKER_00", "SPEAKER_01"]
        first, second = ff.js(COLOURS)
        assert first != second, first
        rename(ff, "SPEAKER_00", "Ann")
        ff.click("#stop")
        ff.wait_for("return document.body.dataset.lastEnd || ''", what="the session's end")
        assert ff.js(CHIPS) == ["Ann", "SPEAKER_01", "Ann"]
        colours = ff.js(COLOURS)
        assert colours[2] == colours[0] != colours[1]
        rename(ff, "SPEAKER_01", "Bob")
        assert ff.js(CHIPS) == ["Ann", "Bob", "Ann"]
        ff.screenshot(artifacts / "firefox-page-speakers.png")

        ff.js(KEEP_DOWNLOADS)
        ff.click("#download-txt")
        ff.click("#download-json")
        ff.wait_for("return window.__downloads.length === 2", what="the downloads")
        [data] = [t for t in ff.js("return window.__downloads") if t.startswith("{")]
        [txt] = [t for t in ff.js("return window.__downloads") if not t.startswith("{")]
        assert txt == "Ann: Hello there.\nBob: Hi, how are you?\nAnn: Fine, thanks.\n"
        assert [s["speaker"] for s in json.loads(data)["segments"]] == ["Ann", "Bob", "Ann"]
