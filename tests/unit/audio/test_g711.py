"""G.711 mu-law and A-law against the standard's values, and encode/decode round trips."""

import warnings

import numpy as np
import pytest

from whisper_live.audio import g711

ALL_INT16 = np.arange(-32768, 32768, dtype=np.int16)


@pytest.mark.parametrize("code, value", [(0xFF, 0), (0x7F, 0), (0x00, -32124), (0x80, 32124), (0xFE, 8),
                                         (0x7E, -8), (0xEF, 132), (0x8F, 16764)])
def test_mulaw_decodes_known_codes(code, value):
    assert g711.mulaw_decode(bytes([code]))[0] == value


@pytest.mark.parametrize("code, value", [(0xD5, 8), (0x55, -8), (0xAA, 32256), (0x2A, -32256), (0xD4, 24),
                                         (0xC5, 264)])
def test_alaw_decodes_known_codes(code, value):
    assert g711.alaw_decode(bytes([code]))[0] == value


@pytest.mark.parametrize("decode", [g711.mulaw_decode, g711.alaw_decode])
def test_decoding_is_odd_and_increasing_in_each_half(decode):
    values = decode(np.arange(256, dtype=np.uint8)).astype(int)
    positive = sorted(v for v in values if v > 0)
    assert len(set(positive)) == len(positive) >= 127  # one distinct level per code (mu-law has two zeros)
    assert sorted(-v for v in values if v < 0) == positive


@pytest.mark.parametrize("encode, decode", [(g711.mulaw_encode, g711.mulaw_decode),
                                            (g711.alaw_encode, g711.alaw_decode)])
def test_every_level_encodes_back_to_its_code(encode, decode):
    codes = np.arange(256, dtype=np.uint8)
    again = encode(decode(codes))
    if encode is g711.mulaw_encode:  # 0x7F is "negative zero": it comes back as 0xFF
        assert again[0x7F] == 0xFF
        again[0x7F] = 0x7F
    assert (again == codes).all()


@pytest.mark.parametrize("encode, decode, full_scale", [(g711.mulaw_encode, g711.mulaw_decode, 32124),
                                                        (g711.alaw_encode, g711.alaw_decode, 32256)])
def test_every_sample_goes_to_a_nearby_level(encode, decode, full_scale):
    """Each 16-bit value decodes back within half a step of the segment it falls in (steps double
    from segment to segment: the error stays under ~3 % of the value, plus the smallest step)."""
    back = decode(encode(ALL_INT16)).astype(int)
    x = np.clip(ALL_INT16.astype(int), -full_scale, full_scale)
    assert (np.abs(back - x) <= np.abs(x) / 32 + 16).all()
    assert (np.sign(back[np.abs(x) > 16]) == np.sign(x[np.abs(x) > 16])).all()


@pytest.mark.parametrize("encode, decode", [(g711.mulaw_encode, g711.mulaw_decode),
                                            (g711.alaw_encode, g711.alaw_decode)])
def test_speech_level_signal_keeps_its_quality(encode, decode):
    t = np.arange(8000) / 8000
    x = (8000 * np.sin(2 * np.pi * 440 * t) + 3000 * np.sin(2 * np.pi * 1234 * t)).astype(np.int16)
    err = decode(encode(x)).astype(float) - x
    snr = 10 * np.log10((x.astype(float) ** 2).mean() / (err ** 2).mean())
    assert snr > 35  # G.711 gives about 38 dB over a wide range of levels


def test_matches_the_standard_library_codec_where_it_still_exists():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        audioop = pytest.importorskip("audioop")  # removed in Python 3.13
    pcm = ALL_INT16.tobytes()
    assert (np.frombuffer(audioop.lin2ulaw(pcm, 2), np.uint8) == g711.mulaw_encode(ALL_INT16)).all()
    assert (np.frombuffer(audioop.lin2alaw(pcm, 2), np.uint8) == g711.alaw_encode(ALL_INT16)).all()
    codes = bytes(range(256))
    assert (np.frombuffer(audioop.ulaw2lin(codes, 2), "<i2") == g711.mulaw_decode(codes)).all()
    assert (np.frombuffer(audioop.alaw2lin(codes, 2), "<i2") == g711.alaw_decode(codes)).all()
