"""The client's Opus encoder: packets of a fixed duration, bitrate changes that lose no audio."""

import numpy as np
import pytest

from tests.opus_streams import best_correlation, speech_samples
from whisper_live.audio.decoder import AudioDecoder
from whisper_live.audio.opus_encoder import OpusEncoder


@pytest.fixture(scope="module")
def speech(espeak):
    return speech_samples(espeak("Bitrates step down while the link is slow, and up when it has drained."))


def test_packets_hold_their_frame_and_bytes_follow_the_bitrate(speech):
    sizes = {}
    for kbps in (32, 12):
        encoder = OpusEncoder(kbps)
        packets = encoder.frames(speech)
        assert len(packets) == len(speech) // encoder.frame_samples
        sizes[kbps] = sum(map(len, packets)) / (len(packets) * encoder.frame_ms / 1000)
    assert sizes[32] < 32000 / 8 * 1.2 and sizes[12] < 12000 / 8 * 1.2
    assert sizes[12] < sizes[32] * 0.6


def test_a_bitrate_change_loses_no_audio(speech):
    """Each change opens a new encoder fed again with the former one's lookahead: every stretch of the talk
    is found in the decoded audio where it was, shifted by one lookahead per encoder before it (audio lost at
    a change would shift the rest earlier)."""
    encoder, decoder = OpusEncoder(32), AudioDecoder("opus", 16000)
    packets, changes_before = [], []
    for i, kbps in zip(range(0, len(speech), 8000), [32, 8, 16, 24, 12, 32, 8, 24, 16, 32] * 10):
        if kbps != encoder.bitrate_kbps:
            encoder.set_bitrate(kbps)
        changes_before.append(0 if i == 0 else changes_before[-1] + (kbps != last))
        last = kbps
        packets += encoder.frames(speech[i:i + 8000])
    packets += encoder.flush_frames()
    decoded = np.concatenate([decoder.decode(p) for p in packets] + [decoder.flush(complete=True)])
    lookahead = 104  # 6.5 ms at 16 kHz
    assert len(decoded) >= len(speech) + changes_before[-1] * lookahead
    checked = 0
    for piece, changes in enumerate(changes_before):
        start = piece * 8000 + 1000
        reference = speech[start:start + 6000]
        if len(reference) < 6000 or np.sqrt((reference ** 2).mean()) < 0.02:
            continue  # too short or silent to be located
        # Raw packets carry no pre-skip: the first encoder's lookahead delays all of the talk too.
        correlation, shift = best_correlation(reference, decoded[start:], max_shift=(changes + 1) * lookahead + 400)
        assert correlation > 0.7
        assert abs(shift - (changes + 1) * lookahead) <= 24
        checked += 1
    assert checked >= 4


def test_bitrates_outside_opus_range_are_refused():
    with pytest.raises(ValueError, match="6 to 256"):
        OpusEncoder(2)
