"""The options message's audio settings: audio_format (G.711 included) and sample_rate."""

import json

import numpy as np
import pytest

from whisper_live.protocol import ClientOptions, ProtocolError, decode_audio_frame, encode_audio_frame


@pytest.mark.parametrize("audio_format", ["mulaw", "alaw", "int16", "float32", "uint8"])
@pytest.mark.parametrize("rate", [8000, 16000, 44100, 48000])
def test_audio_format_and_sample_rate_are_read_and_written(audio_format, rate):
    opts = ClientOptions.from_message(json.dumps({"uid": "u", "audio_format": audio_format, "sample_rate": rate}))
    assert (opts.audio_format, opts.sample_rate) == (audio_format, rate)
    again = ClientOptions.from_message(opts.to_message())
    assert (again.audio_format, again.sample_rate) == (audio_format, rate)


def test_sample_rate_defaults_to_16k_and_is_not_sent_then():
    opts = ClientOptions.from_message(json.dumps({"uid": "u"}))
    assert opts.sample_rate == 16000
    assert "sample_rate" not in json.loads(opts.to_message())  # stock WhisperLive servers see what they know


@pytest.mark.parametrize("rate", [4000, 96000, 8000.5, "8000", True, None, -16000])
def test_bad_sample_rates_are_refused_with_a_reason(rate):
    with pytest.raises(ProtocolError, match="sample_rate must be a whole number of Hz from 8000 to 48000"):
        ClientOptions.from_message(json.dumps({"uid": "u", "sample_rate": rate}))


def test_g711_frames_decode_and_encode():
    assert decode_audio_frame(b"\xff\x00", "mulaw").tolist() == [0.0, -32124 / 32768]
    assert decode_audio_frame(b"\xd5\x55", "alaw").tolist() == [8 / 32768, -8 / 32768]
    samples = np.array([0.0, 0.5, -0.25], np.float32)
    for audio_format in ("mulaw", "alaw"):
        back = decode_audio_frame(encode_audio_frame(samples, audio_format), audio_format)
        assert np.allclose(back, samples, atol=0.02)
