"""Opus through the real server and model: raw packets, Ogg and WebM cut anywhere, a corrupt stream refused
while another client is served, on a real WebSocket on 127.0.0.1."""

import concurrent.futures
import time

import pytest
from websockets.sync.client import connect

from tests.integration.sentences import SENTENCES, with_silence
from tests.opus_streams import muxed, slices
from tests.ws_session import Outcome, _drain, load_audio, stream
from whisper_live import protocol
from whisper_live.wer import wer


def send_container(url: str, data: bytes, container: str, seconds: float, uid: str) -> Outcome:
    """A MediaRecorder-like client: the container's bytes in random slices, spread over ``seconds``."""
    outcome = Outcome()
    pieces = slices(data, seed=7, largest=1500)
    with connect(url, open_timeout=30) as ws:
        ws.send(protocol.ClientOptions(uid=uid, language="en", audio_format=container).to_message())
        outcome.replies.append((time.monotonic(), protocol.parse_reply(ws.recv(timeout=30))))
        start = time.monotonic()
        try:
            for n, piece in enumerate(pieces):
                ws.send(piece)
                time.sleep(max(0.0, start + (n + 1) * seconds / len(pieces) - time.monotonic()))
            ws.send(protocol.END_OF_AUDIO)
        except Exception:
            pass  # the server refused the stream and closed: the replies say why
        _drain(ws, outcome, timeout=60)
    return outcome


def test_raw_opus_packets_are_transcribed_as_pcm_is(live_server, espeak):
    audio = with_silence(load_audio(espeak(SENTENCES[0])))
    outcome = stream(live_server.url, audio, language="en", audio_format="opus", sample_rate=16000)
    assert outcome.of("ready") and not outcome.of("error")
    # the bound of the PCM test (tests/integration/test_server_transcribes.py): one or two misheard words
    assert wer(SENTENCES[0], outcome.text) <= 0.25, outcome.text
    assert outcome.of("disconnect")


@pytest.mark.parametrize("container", ["ogg", "webm"])
def test_a_container_in_slices_is_transcribed(live_server, espeak, container):
    audio = with_silence(load_audio(espeak(SENTENCES[1])))
    outcome = send_container(live_server.url, muxed(audio, container), container, len(audio) / 16000 / 2,
                             uid=f"mr-{container}")
    assert not outcome.of("error"), outcome.of("error")
    assert wer(SENTENCES[1], outcome.text) <= 0.25, outcome.text
    assert outcome.of("disconnect")


def test_a_corrupt_stream_gets_an_error_while_another_client_is_served(live_server, espeak):
    good = with_silence(load_audio(espeak(SENTENCES[2])))
    corrupt = bytearray(muxed(with_silence(load_audio(espeak(SENTENCES[3]))), "ogg"))
    page = corrupt.find(b"OggS", 2000)
    corrupt[page + 27 + corrupt[page + 26] + 10] ^= 0xFF  # a byte of a later page's audio: its checksum fails
    with concurrent.futures.ThreadPoolExecutor(2) as pool:
        served = pool.submit(stream, live_server.url, good, language="en", audio_format="opus",
                             sample_rate=16000, uid="served")
        refused = pool.submit(send_container, live_server.url, bytes(corrupt), "ogg", 3.0, "corrupt").result()
        served = served.result()
    errors = [r.message for r in refused.of("error")]
    assert errors and "checksum" in errors[0], refused.replies
    assert wer(SENTENCES[2], served.text) <= 0.25, served.text
    assert served.of("disconnect")
