"""The page served by the server, in headless firefox-esr (tests/browser/firefox.py).

File mode transcribes recorded speech with the real server and tiny.en; Microphone mode takes Firefox's fake
media stream (a 1 kHz tone) to the model-free protocol server of tests/browser/fake_server.py, which shows
what reached it.
"""

from __future__ import annotations

import numpy as np
import pytest

from whisper_live.wer import wer

from .fake_server import FakeServer
from .firefox import Firefox, firefox_binary
from .recorded_speech import recorded_speech


@pytest.fixture(scope="module")
def firefox(artifacts):
    browser = Firefox(firefox_binary(), artifacts / "firefox-page-gecko.log")
    try:
        yield browser
    finally:
        browser.quit()


def ended(ff, reason, timeout=60.0):
    ff.wait_for("return document.body.dataset.lastEnd || ''", timeout=timeout, what="the session's end")
    assert ff.js("return document.body.dataset.lastEnd") == reason, ff.text("#error")


def segments(ff):
    return ff.js("return [...document.querySelectorAll('#segments li span')].map((s) => s.textContent).join(' ')")


def test_file_mode_transcribes_recorded_speech(firefox, transcription_server, tmp_path, artifacts):
    ff = firefox
    wav, reference = recorded_speech(tmp_path)
    host, port = transcription_server
    ff.marionette.navigate(f"http://{host}:{port}/")
    ff.click("input[name=source][value=file]")
    ff.element("#file").send_keys(str(wav))
    ff.wait_for("return !document.getElementById('player').hidden", what="the file in the player")
    ff.click("#start")
    ff.wait_for("return document.getElementById('status').textContent === 'Transcribing the file…'",
                what="the file to play")
    ended(ff, "finished")  # the end of the file ends the session
    ff.screenshot(artifacts / "firefox-page-file.png")
    assert ff.text("#codec-info").startswith("opus "), "the file's speech goes as Opus (WebCodecs)"
    text = segments(ff)
    # measured: WER 0.00 (tiny.en, this clip, headless firefox-esr 153)
    assert wer(reference, text) <= 0.2, text
    assert ff.js("return document.getElementById('error').hidden") is True, ff.text("#error")
    assert ff.js("return document.getElementById('start').disabled") is False


@pytest.mark.parametrize("codec", ["auto", "pcm"])
def test_microphone_mode_listens_and_closes_cleanly(firefox, codec):
    ff = firefox
    with FakeServer() as fake:
        ff.marionette.navigate(fake.url)
        ff.click("#settings summary")
        ff.click(f"#codec option[value='{codec}']")
        ff.click("input[name=source][value=mic]")
        ff.click("#start")
        ff.wait_for("return document.getElementById('status').textContent === 'Listening… speak now.'",
                    what="'Listening'")
        # The fake server reports each 0.5 s of audio as a partial segment.
        ff.wait_for("return document.getElementById('partial').textContent.includes('receiving')",
                    what="audio at the server")
        ff.wait_for("const m = /receiving (\\d+)/.exec(document.getElementById('partial').textContent);"
                    "return m !== null && Number(m[1]) >= 32000", what="2 s of audio at the server")
        ff.click("#stop")
        ended(ff, "finished")
        session = fake.sessions[-1]
        assert session.ended, "END_OF_AUDIO was not sent"
        # Opus by default (WebCodecs' raw packets), PCM when the settings ask for it.
        assert session.options["audio_format"] == ("opus" if codec == "auto" else "float32")
        assert ff.text("#codec-info") == ("opus 24 kbit/s" if codec == "auto" else "pcm")
        assert ff.text("#status") == "Transcription finished."
        assert ff.js("return document.getElementById('error').hidden") is True, ff.text("#error")
        assert ff.js("return [document.getElementById('start').disabled, document.getElementById('stop').disabled]") \
            == [False, True]
        assert segments(ff) == f"received {session.audio.size} samples."

    # Firefox's fake microphone is a 1 kHz tone: at 16 kHz it is still 1 kHz, and nothing else is there.
    audio = session.audio[4000:]
    assert audio.size >= 16000, audio.size
    spectrum = np.abs(np.fft.rfft(audio * np.hanning(audio.size)))
    freqs = np.fft.rfftfreq(audio.size, 1 / 16000)
    assert abs(freqs[spectrum.argmax()] - 1000) < 10, freqs[spectrum.argmax()]
    if codec == "pcm":  # the resampler's own output (Opus adds its own coding noise)
        elsewhere = spectrum[np.abs(freqs - 1000) > 50]
        assert elsewhere.max() < 0.05 * spectrum.max()


def test_no_sound_output_is_explained(artifacts):
    # A Firefox of its own, with no sound output device (cubeb without a backend): it never starts an AudioContext.
    ff = Firefox(firefox_binary(), artifacts / "firefox-page-nosound-gecko.log",
                 prefs={"media.cubeb.force_mock_context": False, "media.cubeb.force_null_context": True})
    try:
        with FakeServer() as fake:
            ff.marionette.navigate(fake.url)
            ff.click("#start")
            ff.wait_for("return !document.getElementById('error').hidden", timeout=30, what="an error")
            assert "did not start its audio engine" in ff.text("#error")
            assert "sound output device" in ff.text("#error")
            assert ff.js("return [document.getElementById('start').disabled, "
                         "document.getElementById('stop').disabled]") == [False, True]
            assert fake.sessions == [], "no session is opened without audio"
    finally:
        ff.quit()
