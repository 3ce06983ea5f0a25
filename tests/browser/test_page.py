"""The page served by the server, in headless Chromium with a fake microphone that plays espeak-ng speech.

Protocol-level behaviour (what reaches the server, errors) runs against tests/browser/fake_server.py, which
needs no model; one test runs the real server with tiny.en and checks the words of the spoken sentence.
"""

from __future__ import annotations

import re
import subprocess

import numpy as np
import pytest

from .conftest import BASE_FLAGS, KEY_WORDS, SENTENCE
from .fake_server import FakeServer
from .page_waits import TIMEOUT_MS, ended


@pytest.fixture(scope="module")
def fake_server():
    with FakeServer() as server:
        yield server


def open_settings(page, **fields):
    page.click("#settings summary")
    for name, value in fields.items():
        if name in ("language", "task", "codec"):
            page.select_option(f"#{name}", value)
        elif name == "vad":
            page.set_checked("#vad", value)
        else:
            page.fill(f"#{name}", value)


def test_microphone_streams_to_server_with_settings_and_exports(page, fake_server):
    page.goto(fake_server.url)
    open_settings(page, language="de", task="translate", model="small", vad=False)
    page.click("#start")
    # The fake server reports each 0.5 s of audio as a partial segment, and "detects" English at 91 %.
    page.wait_for_selector("#partial:has-text('receiving')", timeout=TIMEOUT_MS)
    assert page.inner_text("#language-info") == "Language: English · 91%"
    assert page.is_disabled("#start") and page.is_enabled("#stop")
    page.wait_for_timeout(1500)
    page.click("#stop")
    ended(page, "finished")

    session = fake_server.sessions[-1]
    assert session.ended, "END_OF_AUDIO was not sent"
    opts = session.options
    assert (opts["language"], opts["task"], opts["model"], opts["use_vad"]) == ("de", "translate", "small", False)
    # Opus by default (WebCodecs), at the policy's starting bitrate on this fast link: under 1/15 of float32.
    assert opts["audio_format"] == "opus" and opts["uid"] and "sample_rate" not in opts
    assert page.inner_text("#codec-info") == "opus 24 kbit/s"
    audio = session.audio
    assert session.wire_bytes / (audio.size / 16000) < 64000 / 15, session.wire_bytes
    # At least 2 s were streamed (a partial at 0.5 s, then 1.5 s more), 16 kHz, and it is the speech: not silent.
    assert audio.size >= 2 * 16000 * 0.9, audio.size
    assert np.abs(audio).max() > 0.05
    text = page.inner_text("#segments")
    assert re.search(rf"received {audio.size} samples\.", text), text
    assert page.inner_text("#partial") == ""
    assert "finished" in page.inner_text("#status")

    with page.expect_download() as dl:
        page.click("#download-txt")
    assert dl.value.suggested_filename.endswith(".txt")
    assert open(dl.value.path()).read() == f"received {audio.size} samples.\n"
    with page.expect_download() as dl:
        page.click("#download-srt")
    srt = open(dl.value.path()).read()
    end = audio.size / 16000
    stamp = f"00:00:{int(end):02d},{round((end - int(end)) * 1000):03d}"
    assert srt == f"1\n00:00:00,000 --> {stamp}\nreceived {audio.size} samples.\n", srt

    page.context.grant_permissions(["clipboard-read", "clipboard-write"], origin=fake_server.url.rstrip("/"))
    page.click("#copy")
    page.wait_for_selector("#status:has-text('copied')")
    assert page.evaluate("navigator.clipboard.readText()") == f"received {audio.size} samples."

    # Settings are remembered for the next visit.
    page.reload()
    assert page.input_value("#model") == "small" and page.input_value("#language") == "de"


def test_file_is_downmixed_and_resampled_to_16k(page, fake_server, media_dir):
    # 2 s of stereo at 44.1 kHz: 300 Hz on the left, 1 kHz on the right; plus 11 kHz on both, which must not
    # survive (above 16 kHz audio's 8 kHz Nyquist).
    wav = media_dir / "tones.wav"
    subprocess.run(["sox", "-n", "-r", "44100", "-c", "2", "-b", "16", str(wav), "synth", "2",
                    "sine", "300", "sine", "1000", "remix", "1", "2", "vol", "0.5"], check=True)
    mixed = media_dir / "tones-hf.wav"
    hf = media_dir / "hf.wav"
    subprocess.run(["sox", "-n", "-r", "44100", "-c", "2", "-b", "16", str(hf), "synth", "2", "sine", "11000",
                    "vol", "0.2"], check=True)
    subprocess.run(["sox", "-m", str(wav), str(hf), str(mixed)], check=True)

    page.goto(fake_server.url)
    open_settings(page, codec="pcm")  # the resampler's own output, not Opus's
    page.check("input[name=source][value=file]")
    page.set_input_files("#file", str(mixed))
    page.wait_for_selector("#player:not([hidden])")
    page.click("#start")
    ended(page, "finished")  # the file's end stops the session by itself

    assert fake_server.sessions[-1].options["audio_format"] == "float32"
    assert page.inner_text("#codec-info") == "pcm"
    audio = fake_server.sessions[-1].audio
    assert 0.9 * 32000 <= audio.size <= 1.15 * 32000, audio.size
    steady = audio[2000:-2000] if audio.size > 8000 else audio
    spectrum = np.abs(np.fft.rfft(steady * np.hanning(steady.size))) / (steady.size / 4)
    freqs = np.fft.rfftfreq(steady.size, 1 / 16000)

    def level(f):
        band = (freqs > f - 15) & (freqs < f + 15)
        return spectrum[band].max()

    # sox -m halves each input; each channel's tone is then averaged with silence: 0.5 * 0.5 * 0.5.
    assert level(300) == pytest.approx(0.125, rel=0.2)
    assert level(1000) == pytest.approx(0.125, rel=0.2)
    # 11 kHz would fold to 5 kHz if the resampler did not filter it.
    assert level(5000) < 0.005
    others = spectrum[(freqs > 100) & ~((np.abs(freqs - 300) < 40) | (np.abs(freqs - 1000) < 40))]
    assert others.max() < 0.01


def test_server_full_says_how_long_to_wait(page, fake_server):
    page.goto(fake_server.url)
    open_settings(page, model="fake-wait")
    page.click("#start")
    ended(page, "wait")
    error = page.inner_text("#error")
    assert "server is full" in error and "about 4 minutes" in error, error
    assert page.is_enabled("#start") and page.is_disabled("#stop")


def test_connection_lost_is_reported(page, fake_server):
    page.goto(fake_server.url)
    open_settings(page, model="fake-drop")
    page.click("#start")
    ended(page, "lost")
    error = page.inner_text("#error")
    assert "was lost" in error and "server is running" in error, error
    assert page.is_enabled("#start")


def test_server_unreachable_is_reported(page, fake_server):
    page.goto(fake_server.url)
    open_settings(page, server="127.0.0.1:9")
    page.click("#start")
    ended(page, "lost")
    assert "Could not connect to the transcription server at ws://127.0.0.1:9/" in page.inner_text("#error")


def test_microphone_permission_denied_is_explained(playwright_instance, chromium_path, fake_server):
    # A browser of its own: without --use-fake-ui-for-media-stream, and denying every permission prompt.
    browser = playwright_instance.chromium.launch(
        executable_path=chromium_path, headless=True,
        args=BASE_FLAGS + ["--use-fake-device-for-media-stream", "--deny-permission-prompts"])
    try:
        page = browser.new_page()
        page.goto(fake_server.url)
        sessions = len(fake_server.sessions)
        page.click("#start")
        page.wait_for_selector("#error:not([hidden])", timeout=TIMEOUT_MS)
        error = page.inner_text("#error")
        assert "Permission to use the microphone was denied" in error, error
        assert page.is_enabled("#start") and page.is_disabled("#stop")
        assert len(fake_server.sessions) == sessions, "no session should be opened without audio"
    finally:
        browser.close()


def test_live_transcript_of_the_fake_microphone(page, transcription_server, artifacts):
    host, port = transcription_server
    page.goto(f"http://{host}:{port}/")
    page.click("#start")
    # Partial text shows while the sentence is spoken, then it is committed (the fake microphone loops it).
    page.wait_for_selector("#partial:not(:empty)", timeout=60000)
    page.wait_for_selector("#segments li:has-text('morning')", timeout=60000)
    assert page.inner_text("#codec-info").startswith("opus "), "the speech goes as Opus (WebCodecs)"
    page.screenshot(path=str(artifacts / "page-live-transcript.png"), full_page=True)
    page.click("#stop")
    ended(page, "finished", timeout=60000)
    text = page.inner_text("#segments").lower()
    found = [w for w in KEY_WORDS if w in text]
    assert len(found) >= 4, f"expected the words of {SENTENCE!r}, got {text!r}"
    page.screenshot(path=str(artifacts / "page-final-transcript.png"), full_page=True)
