"""The clients against a fake protocol server on 127.0.0.1 (see fake_server.py): sessions, replies, output."""

import time

import numpy as np
import pytest

from tests.client.fake_server import FakeServer
from tests.client.media import encode, tone
from whisper_live.client import (Client, ServerBusy, ServerRejected, ServerUnreachable, StreamingTranscriptionClient,
                                 TranscriptionClient, TranscriptionTeeClient)
from whisper_live.client.console import ConsoleView


def quiet_view():
    import io
    return ConsoleView(3, stream=io.StringIO(), interactive=False)


@pytest.fixture
def wav(tmp_path):
    return str(encode(tone(3.5, 250, amplitude=0.3), tmp_path / "tone.wav", "pcm_s16le"))


def client_for(server, **kw):
    kw.setdefault("speed", 0)
    kw.setdefault("mute_audio_playback", True)
    kw.setdefault("view", quiet_view())
    kw.setdefault("notice", lambda msg: None)
    return TranscriptionClient(server.host, server.port, **kw)


def test_file_is_sent_whole_and_transcript_written_without_duplicates(tmp_path, wav):
    with FakeServer() as server:
        updates = []
        client = client_for(server, srt_file_path=str(tmp_path / "out.srt"), send_last_n_segments=2, lang="en",
                            transcription_callback=lambda text, segs: updates.append(text))
        transcript = client(wav)
    opts = server.sessions[0]["options"]
    assert opts.language == "en" and opts.send_last_n_segments == 2 and opts.audio_format == "float32"
    received = server.audio()
    assert received.size == 56000
    assert np.abs(received - tone(3.5, 250, amplitude=0.3)).max() < 1e-3
    assert max(server.sessions[0]["frames"]) <= 16000 * 5 * 4
    assert [s.text for s in transcript.completed] == [" second 0", " second 1", " second 2", " second 3"]
    assert transcript.completed[-1].end == pytest.approx(3.5)
    assert updates and updates[-1] == "second 0 second 1 second 2 second 3"
    srt = (tmp_path / "out.srt").read_text()
    assert srt.count("second 1") == 1
    assert "4\n00:00:03,000 --> 00:00:03,500\nsecond 3\n" in srt


def test_real_time_pacing_and_speed_option(wav):
    with FakeServer() as server:
        start = time.monotonic()
        client_for(server, speed=4.0)(wav)
        fast = time.monotonic() - start
        start = time.monotonic()
        client_for(server, speed=1.0, chunk_seconds=0.1)(wav)
        real = time.monotonic() - start
    assert 0.8 < fast < 2.5      # 3.5 s of audio at 4x
    assert real >= 3.4           # real time: never faster than the audio


def test_int16_on_the_wire(wav):
    with FakeServer() as server:
        client_for(server, audio_format="int16")(wav)
    assert server.sessions[0]["options"].audio_format == "int16"
    assert np.abs(server.audio() - tone(3.5, 250, amplitude=0.3)).max() < 1e-3


@pytest.mark.parametrize("codec", ["mulaw", "alaw"])
def test_telephone_audio_on_the_wire(wav, codec):
    """codec: the options ask for G.711 at 8 kHz, frames are one byte a sample, and the server's decoder
    gets the same audio back at 16 kHz."""
    with FakeServer() as server:
        client_for(server, codec=codec)(wav)
    opts = server.sessions[0]["options"]
    assert (opts.audio_format, opts.sample_rate) == (codec, 8000)
    assert sum(server.sessions[0]["frames"]) == pytest.approx(3.5 * 8000, abs=2)
    sent, received = tone(3.5, 250, amplitude=0.3), server.audio()
    assert received.size == pytest.approx(sent.size, abs=2)
    n = min(sent.size, received.size)
    assert np.abs(received[:n] - sent[:n]).max() < 0.02  # G.711's steps at this level, plus resampling


@pytest.mark.parametrize("bitrate", [16, "auto"])
def test_opus_on_the_wire(wav, bitrate):
    """codec opus: the options ask for opus at 16 kHz, every binary frame is one packet of 60 ms, and the
    server's decoder gets the tone back (delayed by the encoder's 6.5 ms lookahead), at a twentieth of
    float32's bytes."""
    with FakeServer() as server:
        client = client_for(server, codec="opus", bitrate=bitrate)
        client(wav)
    opts = server.sessions[0]["options"]
    assert (opts.audio_format, opts.sample_rate) == ("opus", 16000)
    assert client.client.link is None if bitrate == 16 else client.client.link.encoder.bitrate_kbps == 24
    sent, received = tone(3.5, 250, amplitude=0.3), server.audio()
    assert sent.size <= received.size <= sent.size + 3 * 960
    lookahead = 104
    n = sent.size - 2000
    assert np.corrcoef(sent[1000:n], received[1000 + lookahead:n + lookahead])[0, 1] > 0.8


def test_streaming_client_sends_telephone_audio():
    audio = tone(2.0, 300, amplitude=0.3)
    with FakeServer() as server:
        client = StreamingTranscriptionClient(server.host, server.port, audio_format="int16", codec="mulaw")
        client.start()
        pcm = (audio * 32767).astype("<i2").tobytes()
        for i in range(0, len(pcm), 999):  # odd byte counts: partial samples wait for the next chunk
            client.send(pcm[i:i + 999])
        client.finish(timeout=10)
    opts = server.sessions[0]["options"]
    assert (opts.audio_format, opts.sample_rate) == ("mulaw", 8000)
    received = server.audio()
    assert received.size == pytest.approx(audio.size, abs=2)
    assert np.abs(received[:audio.size] - audio[:received.size]).max() < 0.02


def test_wait_is_reported_with_the_estimate(wav):
    with FakeServer(mode="wait", wait_minutes=2.5) as server:
        with pytest.raises(ServerBusy) as err:
            client_for(server)(wav)
        assert err.value.wait_minutes == 2.5
        assert "about 2.5 min" in str(err.value) and "--max_retries" in str(err.value)
        assert server.connections == 1
        notices = []
        with pytest.raises(ServerBusy):
            client_for(server, max_retries=2, retry_interval=0.05, notice=notices.append)(wav)
        assert server.connections == 4
        assert len(notices) == 2 and "retry 1/2" in notices[0]


def test_error_at_admission(wav):
    with FakeServer(mode="error") as server:
        with pytest.raises(ServerRejected, match="model 'huge' cannot be loaded"):
            client_for(server)(wav)


@pytest.mark.parametrize("mode,message", [("error_mid", "server error: the model crashed"),
                                          ("disconnect_mid", r"before the audio was all sent \(DISCONNECT\)")])
def test_error_or_disconnect_mid_stream_raise_after_writing_what_was_done(tmp_path, wav, mode, message):
    with FakeServer(mode=mode, after_seconds=1.5) as server:
        client = client_for(server, srt_file_path=str(tmp_path / "part.srt"), speed=4)
        with pytest.raises(ServerRejected, match=message):
            client(wav)
    assert (tmp_path / "part.srt").exists()


def test_unreachable_server_is_one_line(wav):
    with FakeServer() as server:
        port = server.port
    with pytest.raises(ServerUnreachable) as err:
        client_for(type("S", (), {"host": "127.0.0.1", "port": port})())(wav)
    assert "connection refused" in str(err.value) and "\n" not in str(err.value)


def test_tee_client_fans_one_source_out(wav):
    with FakeServer() as one, FakeServer() as two:
        clients = [Client(one.host, one.port, lang="en"), Client(two.host, two.port, lang="de")]
        tee = TranscriptionTeeClient(clients, mute_audio_playback=True, speed=0, view=quiet_view(),
                                     notice=lambda m: None)
        transcripts = tee(wav)
    assert [len(t.completed) for t in transcripts] == [4, 4]
    assert one.sessions[0]["options"].language == "en" and two.sessions[0]["options"].language == "de"
    assert np.array_equal(one.audio(), two.audio())


def test_tee_client_goes_on_when_one_server_fails(wav):
    with FakeServer() as good, FakeServer(mode="error_mid", after_seconds=1) as bad:
        clients = [Client(good.host, good.port), Client(bad.host, bad.port)]
        tee = TranscriptionTeeClient(clients, mute_audio_playback=True, speed=0, view=quiet_view(),
                                     notice=lambda m: None)
        transcripts = tee(wav)
    assert len(transcripts[0].completed) == 4
    assert clients[0].error is None and "the model crashed" in clients[1].error


def test_console_view_prints_each_committed_segment_once(wav):
    import io
    out = io.StringIO()
    with FakeServer() as server:
        client_for(server, view=ConsoleView(2, timestamps=True, stream=out, interactive=False))(wav)
    lines = out.getvalue().splitlines()
    assert lines == ["[00:00.000 --> 00:01.000] second 0", "[00:01.000 --> 00:02.000] second 1",
                     "[00:02.000 --> 00:03.000] second 2", "[00:03.000 --> 00:03.500] second 3"]


def test_generic_source_and_recording(tmp_path):
    import soundfile
    chunks = [tone(0.1, 300 + 10 * i) for i in range(12)]
    with FakeServer() as server:
        client_for(server, save_output_recording=True,
                   output_recording_filename=str(tmp_path / "rec.wav"))(source=iter(chunks))
    rec, rate = soundfile.read(str(tmp_path / "rec.wav"), dtype="float32")
    assert rate == 16000 and rec.size == 19200
    assert np.abs(rec - np.concatenate(chunks)).max() < 1e-3
    assert server.audio().size == 19200


# --- the streaming client ---------------------------------------------------------------------------------

def record_events():
    events = []
    callbacks = dict(
        on_session_started=lambda backend: events.append(("started", backend)),
        on_partial=lambda segs: events.append(("partial", segs[-1].text)),
        on_committed=lambda seg: events.append(("committed", seg.text)),
        on_error=lambda msg: events.append(("error", msg)),
        on_close=lambda: events.append(("close",)),
    )
    return events, callbacks


def check_order(events, n_committed):
    assert events[0] == ("started", "fake")
    assert events[-1] == ("close",) and events.count(("close",)) == 1
    committed = [e[1] for e in events if e[0] == "committed"]
    assert committed == [f" second {k}" for k in range(n_committed)]
    assert any(e[0] == "partial" for e in events)


def test_streaming_int16_bytes_of_odd_sizes():
    audio = (tone(2.3, 330, amplitude=0.4) * 32767).astype("<i2")
    data = audio.tobytes()
    events, callbacks = record_events()
    with FakeServer() as server:
        client = StreamingTranscriptionClient(server.host, server.port, audio_format="int16", **callbacks)
        client.start()
        sizes = [1, 3, 777, 4097, 10001, 2]  # odd byte counts split samples between chunks
        i = k = 0
        while i < len(data):
            assert client.send(data[i:i + sizes[k % len(sizes)]])
            i += sizes[k % len(sizes)]
            k += 1
        segments = client.finish(timeout=10)
    received = np.concatenate(server.sessions[0]["chunks"])
    assert np.array_equal((received * 32768).round().astype(np.int16), audio)  # bit-exact
    assert all(size % 2 == 0 for size in server.sessions[0]["frames"])
    assert [s.text for s in segments] == [" second 0", " second 1", " second 2"]
    check_order(events, 3)


def test_streaming_float32_numpy_and_bytes_of_odd_sizes():
    audio = tone(2.2, 410, amplitude=0.4)
    events, callbacks = record_events()
    with FakeServer() as server:
        with StreamingTranscriptionClient(server.host, server.port, audio_format="float32", **callbacks) as client:
            client.send(audio[:333])                      # numpy float32
            client.send(audio[333:1000].astype(np.float64))  # other float dtype
            raw = audio[1000:].tobytes()
            for i in range(0, len(raw), 4099):             # not a multiple of 4 bytes
                client.send(raw[i:i + 4099])
    received = np.concatenate(server.sessions[0]["chunks"])
    assert np.array_equal(received, audio)
    check_order(events, 3)
    assert [s.text for s in client.transcript.completed] == [" second 0", " second 1", " second 2"]


def test_streaming_resamples_int16_numpy_from_48k():
    t = np.arange(48000) / 48000
    audio = (np.sin(2 * np.pi * 500 * t) * 10000).astype(np.int16)
    with FakeServer() as server:
        client = StreamingTranscriptionClient(server.host, server.port, audio_format="int16", sample_rate=48000)
        client.start()
        for i in range(0, audio.size, 1111):
            client.send(audio[i:i + 1111])
        client.finish(timeout=10)
    received = server.audio()
    assert received.size == pytest.approx(16000, abs=2)
    spectrum = np.abs(np.fft.rfft(received))
    assert np.argmax(spectrum) * 16000 / received.size == pytest.approx(500, abs=2)


def test_streaming_error_callbacks():
    events, callbacks = record_events()
    with FakeServer(mode="error") as server:
        client = StreamingTranscriptionClient(server.host, server.port, **callbacks)
        with pytest.raises(ServerRejected):
            client.start()
    assert events == [("error", "server refused the session: model 'huge' cannot be loaded"), ("close",)]
    events, callbacks = record_events()
    with FakeServer(mode="error_mid", after_seconds=0.5) as server:
        client = StreamingTranscriptionClient(server.host, server.port, **callbacks)
        client.start()
        assert client.send(tone(0.2, 300))
        for _ in range(10):
            client.send(tone(0.2, 300))
        assert client.session.wait_closed(5)
        assert not client.send(tone(0.2, 300))
        client.finish(timeout=2)
    assert events[0] == ("started", "fake") and ("error", "the model crashed") in events and events[-1] == ("close",)
    assert client.error == "the model crashed"
