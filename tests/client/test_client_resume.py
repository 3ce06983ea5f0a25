"""The client library and CLI through a relay that drops every connection mid-utterance (a reset: no close
frame): they reconnect, resume the session, send the audio the server missed, and lose no words."""

from __future__ import annotations

import threading
import time

import pytest

from tests.blip_proxy import BlipProxy
from tests.resume_session import REFERENCE, resume_clip
from tests.ws_session import stream
from whisper_live.client import StreamingTranscriptionClient
from whisper_live.client.cli import main
from whisper_live.wer import normalize, wer

BLIPS = [2.4, 5.1]  # seconds of audio sent when the relay drops the connection
CHUNK = 1600


@pytest.fixture(scope="module")
def clip(espeak):
    return resume_clip(espeak)


@pytest.fixture(scope="module")
def uninterrupted_wer(live_server, clip):
    return wer(REFERENCE, stream(live_server.url, clip, speed=1.5, uid="baseline", language="en").text)


@pytest.fixture
def proxy(live_server):
    relay = BlipProxy(live_server.host, live_server.port)
    yield relay
    relay.close()


@pytest.mark.parametrize("codec", [None, "opus"])
def test_the_streaming_client_resumes_across_drops(live_server, proxy, clip, uninterrupted_wer, codec):
    """With Opus, the server decodes each connection afresh and says how much it holds at a packet's end:
    the client sends the packets after it again, whole."""
    if codec == "opus":
        uninterrupted_wer = wer(REFERENCE, stream(live_server.url, clip, speed=1.5, uid="baseline-opus",
                                                  language="en", audio_format="opus", sample_rate=16000).text)
    events = []
    client = StreamingTranscriptionClient("127.0.0.1", proxy.port, lang="en", codec=codec, bitrate=24,
                                          on_reconnecting=lambda: events.append("reconnecting"),
                                          on_resumed=lambda seconds: events.append(("resumed", seconds)))
    client.start()
    blips = list(BLIPS)
    start = time.monotonic()
    for i in range(0, clip.size, CHUNK):
        assert client.send(clip[i:i + CHUNK])
        sent = (i + CHUNK) / 16000
        if blips and sent >= blips[0]:
            blips.pop(0)
            proxy.blip()
        time.sleep(max(0.0, start + sent / 1.5 - time.monotonic()))
    segments = client.finish(timeout=60)
    text = " ".join(s.text for s in segments)
    print("resumed:", text, "\n", events)
    assert [e for e in events if e == "reconnecting"] == ["reconnecting"] * len(BLIPS)
    resumed_at = [e[1] for e in events if e != "reconnecting"]
    assert len(resumed_at) == len(BLIPS) and resumed_at == sorted(resumed_at)
    assert client.session.resumes == len(BLIPS) and proxy.connections == 1 + len(BLIPS)
    words = len(normalize(REFERENCE).split())
    assert wer(REFERENCE, text) <= uninterrupted_wer + len(BLIPS) / words
    texts = [normalize(s.text) for s in segments]
    assert len(set(texts)) == len(texts)
    for before, after in zip(segments, segments[1:]):
        assert after.start >= before.end - 1e-3


def test_the_cli_tells_the_user_and_keeps_the_transcript(proxy, clip, uninterrupted_wer, tmp_path, capsys):
    import soundfile as sf

    path = tmp_path / "speech.wav"
    sf.write(path, clip, 16000)
    out = tmp_path / "out.txt"
    timer = threading.Timer(3.0, proxy.blip)  # the file plays at real time: mid-sentence
    timer.start()
    try:
        rc = main(["-s", "127.0.0.1", "-p", str(proxy.port), "-f", str(path), "-l", "en", "-a", "-q",
                   "-o", str(out)])
    finally:
        timer.cancel()
    captured = capsys.readouterr()
    print(captured.out, captured.err)
    assert rc == 0
    said = captured.out + captured.err
    assert "reconnecting" in said and "resumed" in said
    assert wer(REFERENCE, out.read_text()) <= uninterrupted_wer + 1 / len(normalize(REFERENCE).split())
