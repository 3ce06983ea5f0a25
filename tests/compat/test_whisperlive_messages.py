"""This server accepts the messages of WhisperLive's clients as they send them, and transcribes.

The messages are in tests/compat/whisperlive_messages.py: the Python client's options with all its extra
keys, ``vad_parameters`` in the forms WhisperLive's servers take, END_OF_AUDIO as a binary frame; the
browser extensions' five-key options, their small frames and their end of stream (the socket closes).
"""

import json
import threading
import time

import numpy as np
import pytest
from websockets.sync.client import connect

from tests.compat import whisperlive_messages as wl
from tests.conftest import audioeval_clip
from tests.ws_session import Outcome, _drain, load_audio
from whisper_live import protocol
from whisper_live.wer import wer

SAMPLE_RATE = protocol.SAMPLE_RATE


@pytest.fixture(scope="module")
def fox():
    path, reference = audioeval_clip("en", "quick_brown_fox")
    silence = np.zeros(SAMPLE_RATE, np.float32)
    return np.concatenate([silence[:SAMPLE_RATE // 2], load_audio(path), silence, silence]), reference


def send_verbatim(url: str, options: dict, audio: np.ndarray, frame_samples: int, end_of_audio, speed=2.0,
                  settle=20.0) -> Outcome:
    """Options as ``json.dumps`` writes them (as both clients do), float32 frames at ``speed`` x real time,
    then ``end_of_audio`` (bytes) or, with None, wait for a completed segment and close, as the extensions do."""
    outcome = Outcome()
    with connect(url, open_timeout=30) as ws:
        ws.send(json.dumps(options))
        outcome.replies.append((time.monotonic(), protocol.parse_reply(ws.recv(timeout=30))))
        assert outcome.replies[0][1].kind == "ready", outcome.replies
        reader = threading.Thread(target=_drain, args=(ws, outcome, 120), daemon=True)
        reader.start()
        start = time.monotonic()
        for n, i in enumerate(range(0, len(audio), frame_samples)):
            ws.send(audio[i:i + frame_samples].astype("<f4").tobytes())
            time.sleep(max(0.0, start + (n + 1) * frame_samples / SAMPLE_RATE / speed - time.monotonic()))
        if end_of_audio is not None:
            ws.send(end_of_audio)
            reader.join(120)
            return outcome
        deadline = time.monotonic() + settle
        while not outcome.completed and time.monotonic() < deadline:
            time.sleep(0.2)
    reader.join(10)
    return outcome


def test_the_python_clients_options_and_end_of_audio(live_server, fox):
    audio, reference = fox
    outcome = send_verbatim(live_server.url, wl.PYTHON_CLIENT_OPTIONS, audio, wl.PYTHON_CLIENT_FRAME_SAMPLES,
                            wl.PYTHON_CLIENT_END_OF_AUDIO)
    uid = wl.PYTHON_CLIENT_OPTIONS["uid"]
    assert {r.uid for _, r in outcome.replies} == {uid}
    assert outcome.replies[0][1].backend == "faster_whisper"
    assert [r.message for r in outcome.of("warning")] == [
        "this server serves every client with model 'tiny.en'; requested model 'small' is not used"]
    assert not outcome.of("error")
    # measured: WER 0.00 on this clip (offline and streamed); 0.25 leaves room for a word or two
    assert wer(reference, outcome.text) <= 0.25, outcome.text
    assert outcome.replies[-1][1].kind == "disconnect"


@pytest.mark.parametrize("vad_parameters", [wl.VAD_PARAMETERS_FASTER_WHISPER, wl.VAD_PARAMETERS_ONSET],
                         ids=["faster_whisper_vad_options", "onset"])
def test_vad_parameters_in_whisperlives_forms(live_server, fox, vad_parameters):
    options = dict(wl.PYTHON_CLIENT_OPTIONS, vad_parameters=vad_parameters)
    parsed = protocol.ClientOptions.from_message(json.dumps(options)).vad_parameters
    assert parsed.threshold == 0.5
    if "min_silence_duration_ms" in vad_parameters:
        assert (parsed.min_silence_duration_ms, parsed.speech_pad_ms) == (2000, 400)
    audio, reference = fox
    outcome = send_verbatim(live_server.url, options, audio, wl.PYTHON_CLIENT_FRAME_SAMPLES,
                            wl.PYTHON_CLIENT_END_OF_AUDIO, speed=3.0)
    assert not outcome.of("error"), outcome.of("error")
    assert wer(reference, outcome.text) <= 0.25, outcome.text
    assert outcome.replies[-1][1].kind == "disconnect"


def test_the_browser_extensions_options_frames_and_close(live_server, fox):
    audio, reference = fox
    outcome = send_verbatim(live_server.url, wl.EXTENSION_OPTIONS, audio, wl.EXTENSION_FRAME_SAMPLES, None)
    assert {r.uid for _, r in outcome.replies} == {wl.EXTENSION_OPTIONS["uid"]}
    assert not outcome.of("error")
    # the pause after the sentence commits it while the socket is open, as a tab's audio goes on
    assert wer(reference, outcome.text) <= 0.25, outcome.text
