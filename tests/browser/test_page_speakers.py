"""Speakers on the page, in headless Chromium against tests/browser/fake_server.py's two-speaker conversation:
the Speakers setting asks for them, each speaker's lines show in its own colour, a click on a name renames
that speaker on every line, and the downloads carry the names."""

from __future__ import annotations

import json

import pytest

from .fake_server import FakeServer
from .page_waits import TIMEOUT_MS, ended


@pytest.fixture(scope="module")
def fake_server():
    with FakeServer() as server:
        yield server


def chips(page):
    return page.eval_on_selector_all("#segments .speaker", "els => els.map((e) => e.textContent)")


def line_colours(page):
    return page.eval_on_selector_all("#segments li", "els => els.map((e) => getComputedStyle(e).borderLeftColor)")


def rename(page, label, name):
    page.click(f"#segments .speaker[data-speaker={label}]")
    page.fill(".speaker-rename", name)
    page.press(".speaker-rename", "Enter")


def download(page, button):
    with page.expect_download() as dl:
        page.click(button)
    with open(dl.value.path(), encoding="utf-8") as f:
        return f.read()


def test_two_speakers_in_two_colours_renamed_everywhere_and_exported(page, fake_server):
    page.goto(fake_server.url)
    page.click("#settings summary")
    page.check("#speakers")
    page.fill("#model", "fake-speakers")
    page.click("#start")
    page.wait_for_selector("#segments li:nth-child(2)", timeout=TIMEOUT_MS)
    assert fake_server.sessions[-1].options["enable_diarization"] is True
    assert chips(page) == ["SPEAKER_00", "SPEAKER_01"]
    first, second = line_colours(page)
    assert first != second and "0, 0, 0" not in first, (first, second)
    assert page.is_visible("#speakers-hint")

    rename(page, "SPEAKER_00", "Ann")  # while the session runs: the line still to come gets the name too
    assert chips(page) == ["Ann", "SPEAKER_01"]
    page.click("#stop")
    ended(page, "finished")
    assert chips(page) == ["Ann", "SPEAKER_01", "Ann"]
    colours = line_colours(page)
    assert colours[2] == colours[0] != colours[1]
    rename(page, "SPEAKER_01", "Bob")
    assert chips(page) == ["Ann", "Bob", "Ann"]

    assert download(page, "#download-txt") == "Ann: Hello there.\nBob: Hi, how are you?\nAnn: Fine, thanks.\n"
    srt = download(page, "#download-srt")
    assert "\nAnn: Hello there.\n" in srt and "\nBob: Hi, how are you?\n" in srt and "\nAnn: Fine, thanks.\n" in srt
    vtt = download(page, "#download-vtt")
    assert vtt.startswith("WEBVTT\n") and "\n<v Bob>Hi, how are you?\n" in vtt and vtt.count("<v Ann>") == 2
    data = json.loads(download(page, "#download-json"))
    assert [s["speaker"] for s in data["segments"]] == ["Ann", "Bob", "Ann"] and data["speakers"] == ["Ann", "Bob"]

    # A new session starts with the labels again.
    page.click("#start")
    page.wait_for_selector("#segments li:nth-child(2)", timeout=TIMEOUT_MS)
    assert chips(page) == ["SPEAKER_00", "SPEAKER_01"]
    page.click("#stop")
    ended(page, "finished")


def test_without_the_setting_no_speakers_are_asked_for_or_shown(page, fake_server):
    page.goto(fake_server.url)
    page.click("#settings summary")
    page.fill("#model", "fake-speakers")
    page.click("#start")
    page.wait_for_selector("#segments li:nth-child(2)", timeout=TIMEOUT_MS)
    page.click("#stop")
    ended(page, "finished")
    assert "enable_diarization" not in fake_server.sessions[-1].options
    assert chips(page) == [] and page.is_hidden("#speakers-hint")
    assert download(page, "#download-txt") == "Hello there.\nHi, how are you?\nFine, thanks.\n"
