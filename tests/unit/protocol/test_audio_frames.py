"""Binary audio frames (whisper_live/protocol/audio_frames.py): G.711 frames decoded and encoded."""

import numpy as np

from whisper_live.protocol import decode_audio_frame, encode_audio_frame


def test_g711_frames_decode_and_encode():
    assert decode_audio_frame(b"\xff\x00", "mulaw").tolist() == [0.0, -32124 / 32768]
    assert decode_audio_frame(b"\xd5\x55", "alaw").tolist() == [8 / 32768, -8 / 32768]
    samples = np.array([0.0, 0.5, -0.25], np.float32)
    for audio_format in ("mulaw", "alaw"):
        back = decode_audio_frame(encode_audio_frame(samples, audio_format), audio_format)
        assert np.allclose(back, samples, atol=0.02)
