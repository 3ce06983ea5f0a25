"""The per-session decoder: every format and rate to 16 kHz float32, frame limits in seconds."""

import numpy as np
import pytest

from whisper_live.audio.decoder import AudioDecoder
from whisper_live.audio.encoder import AudioEncoder
from whisper_live.protocol import MAX_FRAME_SECONDS, ProtocolError


def tone(seconds, rate=16000, freq=440.0, level=0.5):
    t = np.arange(int(seconds * rate)) / rate
    return (level * np.sin(2 * np.pi * freq * t)).astype(np.float32)


def snr_db(reference, signal):
    n = min(len(reference), len(signal))
    err = signal[:n] - reference[:n]
    return 10 * np.log10((reference[:n] ** 2).mean() / max((err ** 2).mean(), 1e-20))


@pytest.mark.parametrize("audio_format, rate, min_snr", [
    ("mulaw", 8000, 30), ("alaw", 8000, 30), ("int16", 8000, 40), ("int16", 48000, 40), ("float32", 48000, 40),
    ("mulaw", 16000, 33), ("float32", 16000, 90)])
def test_streams_of_20ms_frames_come_out_at_16khz(audio_format, rate, min_snr):
    """A client encodes 16 kHz audio to the format and rate in 20 ms pieces; the server's decoder gives
    back the same audio at 16 kHz, in time (no shift) and complete once flushed."""
    speech = tone(2.0, freq=440) + tone(2.0, freq=1900, level=0.2)
    encoder, decoder = AudioEncoder(audio_format, rate), AudioDecoder(audio_format, rate)
    out = []
    for i in range(0, len(speech), 320):
        out.append(decoder.decode(encoder.encode(speech[i:i + 320])))
    out.append(decoder.decode(encoder.flush()))
    out.append(decoder.flush())
    decoded = np.concatenate(out)
    assert decoded.dtype == np.float32
    assert abs(len(decoded) - len(speech)) <= 2
    assert snr_db(speech, decoded) > min_snr
    assert decoder.received_seconds == pytest.approx(2.0, abs=0.002)


def test_frame_limit_is_in_seconds_of_audio_for_every_format_and_rate():
    for audio_format, itemsize in (("mulaw", 1), ("alaw", 1), ("int16", 2), ("float32", 4)):
        for rate in (8000, 16000, 48000):
            decoder = AudioDecoder(audio_format, rate)
            most = int(MAX_FRAME_SECONDS * rate) * itemsize
            assert len(decoder.decode(bytes(most))) > 0
            with pytest.raises(ProtocolError, match="longer than"):
                decoder.decode(bytes(most + itemsize))
            assert decoder.seconds(most) == pytest.approx(MAX_FRAME_SECONDS)


def test_bad_frames_and_settings_are_refused_clearly():
    with pytest.raises(ProtocolError, match="whole number of int16 samples"):
        AudioDecoder("int16", 8000).decode(b"\x00\x01\x02")
    with pytest.raises(ProtocolError, match="NaN"):
        AudioDecoder("float32").decode(np.array([np.nan], np.float32).tobytes())
    with pytest.raises(ProtocolError, match="sample_rate must be a whole number of Hz from 8000 to 48000"):
        AudioDecoder("mulaw", 4000)
    with pytest.raises(ProtocolError, match="unknown audio_format"):
        AudioDecoder("speex", 8000)


def test_16khz_needs_no_flush_and_passes_samples_through():
    decoder = AudioDecoder("int16")
    pcm = (np.arange(-100, 100) * 100).astype("<i2")
    assert np.array_equal(decoder.decode(pcm.tobytes()), pcm.astype(np.float32) / 32768.0)
    assert decoder.flush().size == 0


def test_g711_silence_decodes_to_zero():
    assert not AudioDecoder("mulaw", 8000).decode(b"\xff" * 160).any()
    assert np.abs(AudioDecoder("alaw", 8000).decode(b"\xd5" * 160)).max() < 0.001
