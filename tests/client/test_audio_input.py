"""Decoding, resampling and microphone capture, without a server and without a sound card."""

import sys

import numpy as np
import pytest

from tests.client.fakes import FakeSoundDevice
from tests.client.media import encode, tone
from whisper_live.client import devices
from whisper_live.client.errors import AudioSourceError, MicrophoneUnavailable
from whisper_live.client.microphone import Microphone
from whisper_live.audio.resample import Resampler
from whisper_live.client.sources import FileSource, StreamSource, read_audio


def peak_hz(x, rate=16000):
    spectrum = np.abs(np.fft.rfft(x * np.hanning(x.size)))
    return np.argmax(spectrum) * rate / x.size


def resample_to(x, rate):
    r = Resampler(16000, rate)
    return np.concatenate([r(x), r.flush()])


@pytest.mark.parametrize("name,codec,rate,channels,video", [
    ("a.wav", "pcm_s16le", 16000, 1, None),
    ("a.flac", "flac", 44100, 2, None),
    ("a.mp3", "libmp3lame", 44100, 2, None),
    ("a.m4a", "aac", 48000, 1, None),
    ("a.ogg", "libopus", 48000, 2, None),
    ("a.mp4", "aac", 44100, 2, "mpeg4"),
    ("a.mkv", "libopus", 48000, 1, "h264"),
])
def test_files_of_many_formats_decode_to_16k_mono(tmp_path, name, codec, rate, channels, video):
    path = encode(resample_to(tone(1.5, 300), rate), tmp_path / name, codec, rate, channels, video)
    source = FileSource(str(path), chunk_seconds=0.1)
    assert source.duration == pytest.approx(1.5, abs=0.15)  # for progress only; containers round it
    chunks = list(source)
    assert all(c.dtype == np.float32 and c.ndim == 1 for c in chunks)
    assert all(c.size == 1600 for c in chunks[:-1]) and 0 < chunks[-1].size <= 1600
    audio = np.concatenate(chunks)
    assert audio.size / 16000 == pytest.approx(1.5, abs=0.06)  # codec padding only
    assert peak_hz(audio) == pytest.approx(300, abs=3)
    # stereo is averaged, not summed: the level stays that of one channel (RMS of a 0.5 sine: 0.354)
    middle = audio[4000:-4000]
    assert np.sqrt(np.mean(middle ** 2)) == pytest.approx(0.354, abs=0.03)


def test_missing_file_and_file_without_audio(tmp_path):
    with pytest.raises(AudioSourceError, match="no such file"):
        FileSource(str(tmp_path / "nope.wav"))
    (tmp_path / "junk.wav").write_bytes(b"this is not audio at all" * 10)
    with pytest.raises(AudioSourceError, match="cannot open"):
        FileSource(str(tmp_path / "junk.wav"))
    import av
    with av.open(str(tmp_path / "silent.mkv"), "w") as out:
        v = out.add_stream("mpeg4", rate=5)
        v.width, v.height, v.pix_fmt = 32, 32, "yuv420p"
        for i in range(3):
            frame = av.VideoFrame.from_ndarray(np.zeros((32, 32, 3), np.uint8), format="rgb24")
            frame = frame.reformat(format="yuv420p")
            frame.pts = i
            for p in v.encode(frame):
                out.mux(p)
        for p in v.encode(None):
            out.mux(p)
    with pytest.raises(AudioSourceError, match="no audio stream"):
        FileSource(str(tmp_path / "silent.mkv"))


def test_resampler_keeps_pitch_length_and_mixes_channels():
    rate = 44100
    t = np.arange(rate) / rate
    left = np.sin(2 * np.pi * 500 * t)
    stereo = np.stack([left, left], axis=1).astype(np.float32) * 0.4
    r = Resampler(rate)
    out = np.concatenate([r(stereo[i:i + 441]) for i in range(0, rate, 441)] + [r.flush()])
    assert out.size == pytest.approx(16000, abs=2)
    assert peak_hz(out) == pytest.approx(500, abs=2)
    assert np.abs(out).max() == pytest.approx(0.4, abs=0.02)
    ints = Resampler(16000)((np.ones(160) * 16384).astype(np.int16))
    assert ints.dtype == np.float32 and np.allclose(ints, 0.5)


def test_microphone_callback_resamples_injected_frames_into_fixed_chunks():
    rate = 48000
    mic = Microphone(chunk_seconds=0.1, rate=rate, channels=2)
    t = np.arange(rate * 2) / rate
    stereo = np.stack([np.sin(2 * np.pi * 1000 * t)] * 2, axis=1).astype(np.float32) * 0.3
    sizes = [480, 1024, 333, 4096]  # sounddevice may deliver blocks of any size
    i = k = 0
    while i < stereo.shape[0]:
        block = stereo[i:i + sizes[k % 4]]
        mic.callback(block, block.shape[0], None, None)
        i += block.shape[0]
        k += 1
    mic.stop()
    chunks = list(mic)
    assert all(c.size == 1600 for c in chunks[:-1])
    audio = np.concatenate(chunks)
    assert audio.size == pytest.approx(32000, abs=2)
    assert peak_hz(audio) == pytest.approx(1000, abs=2)
    assert np.abs(audio[2000:-2000]).max() == pytest.approx(0.3, abs=0.02)


def test_microphone_queue_overflow_drops_and_counts():
    mic = Microphone(chunk_seconds=0.1, rate=16000, max_queued_seconds=0.5)
    block = np.zeros((16000, 1), np.float32)
    mic.callback(block, 16000, None, None)  # 1 s of audio into a 0.5 s queue
    assert mic.dropped_seconds == pytest.approx(0.5)


def test_microphone_opens_at_the_device_rate_when_16k_is_refused(monkeypatch):
    t = np.arange(44100) / 44100
    blocks = [(0.2 * np.sin(2 * np.pi * 700 * t[i:i + 1000])).astype(np.float32).reshape(-1, 1)
              for i in range(0, 44100, 1000)]
    fake = FakeSoundDevice(blocks)
    monkeypatch.setitem(sys.modules, "sounddevice", fake)
    mic = Microphone(chunk_seconds=0.1)
    got = []
    for chunk in mic:
        got.append(chunk)
        if sum(c.size for c in got) >= 14400:
            mic.stop()
    assert fake.opened["samplerate"] == 44100 and mic.rate == 44100
    audio = np.concatenate(got)
    assert peak_hz(audio[:14400]) == pytest.approx(700, abs=3)


def test_missing_portaudio_or_package_is_a_one_line_message(monkeypatch):
    class Broken:
        def find_spec(self, name, path=None, target=None):
            if name == "sounddevice":
                raise OSError("PortAudio library not found")

    monkeypatch.delitem(sys.modules, "sounddevice", raising=False)
    monkeypatch.setattr(sys, "meta_path", [Broken()] + sys.meta_path)
    with pytest.raises(MicrophoneUnavailable) as err:
        Microphone().start()
    assert "PortAudio" in str(err.value) and "libportaudio2" in str(err.value) and "\n" not in str(err.value)
    monkeypatch.setattr(sys, "meta_path", sys.meta_path[1:])
    monkeypatch.setitem(sys.modules, "sounddevice", None)  # not installed
    with pytest.raises(MicrophoneUnavailable, match="pip install"):
        devices.import_sounddevice()


def test_stream_that_cannot_be_opened_gives_up_with_a_clear_error():
    source = StreamSource("rtsp://127.0.0.1:9/none", max_reconnects=1, reconnect_delay=0.05, open_timeout=2)
    with pytest.raises(AudioSourceError, match="rtsp://127.0.0.1:9/none: cannot open"):
        list(source)
    assert source.reconnects == 1


def test_read_audio_of_a_wav(tmp_path):
    x = tone(0.25, 200)
    path = encode(x, tmp_path / "t.wav", "pcm_s16le")
    y = read_audio(str(path))
    assert np.abs(y - x).max() < 1e-3


def test_portaudio_without_an_input_device_is_a_one_line_message(monkeypatch):
    fake = FakeSoundDevice([])

    def no_device(device=None, kind=None):
        raise fake.PortAudioError("Error querying device -1")

    fake.query_devices = no_device
    monkeypatch.setitem(sys.modules, "sounddevice", fake)
    with pytest.raises(MicrophoneUnavailable) as err:
        Microphone().start()
    assert str(err.value) == "no audio input device (Error querying device -1)"
