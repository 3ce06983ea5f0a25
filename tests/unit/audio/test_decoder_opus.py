"""The per-session decoder's compressed formats: raw Opus packets, Ogg and WebM in arbitrary slices,
corrupt and truncated streams, and a resumed connection's new stream."""

import numpy as np
import pytest

from tests.opus_streams import best_correlation, muxed, slices, speech_samples
from whisper_live.audio.decoder import AudioDecoder
from whisper_live.audio.opus_encoder import OpusEncoder
from whisper_live.protocol import ProtocolError

SENTENCE = "The quick brown fox jumps over the lazy dog, and the server hears every word of it."


@pytest.fixture(scope="module")
def speech(espeak):
    return speech_samples(espeak(SENTENCE))


@pytest.mark.parametrize("container", ["ogg", "webm"])
def test_a_container_in_random_slices_decodes_to_the_speech(speech, container):
    """MediaRecorder's slices cut pages and elements anywhere: the decoder gives back the speech at 16 kHz,
    as long as it was (within the codec's padding), and the same however the stream was cut."""
    data = muxed(speech, container)
    outputs = []
    for seed in (1, 2):
        decoder = AudioDecoder(container)
        parts = [decoder.decode(piece) for piece in slices(data, seed=seed, largest=700)]
        parts.append(decoder.flush(complete=True))
        outputs.append(np.concatenate(parts))
        assert decoder.received_seconds == pytest.approx(len(speech) / 16000, abs=0.03)
    assert np.array_equal(outputs[0], outputs[1])
    decoded = outputs[0]
    assert decoded.dtype == np.float32
    assert abs(len(decoded) - len(speech)) < 0.03 * 16000
    correlation, shift = best_correlation(speech, decoded)
    assert correlation > 0.9
    assert shift < 160  # FFmpeg drops the encoder's pre-skip: the speech is not delayed


def test_raw_packets_at_24_kbps_decode_to_the_speech(speech):
    encoder, decoder = OpusEncoder(24), AudioDecoder("opus", 16000)
    packets = []
    for i in range(0, len(speech), 1000):
        packets += encoder.frames(speech[i:i + 1000])
    packets += encoder.flush_frames()
    assert all(len(p) < 400 for p in packets)
    decoded = np.concatenate([decoder.decode(p) for p in packets] + [decoder.flush(complete=True)])
    assert len(decoded) == len(packets) * encoder.frame_samples
    assert decoder.received_seconds == pytest.approx(len(packets) * encoder.frame_ms / 1000)
    correlation, _ = best_correlation(speech, decoded)
    assert correlation > 0.9


def test_a_corrupt_raw_packet_is_refused_with_its_number(speech):
    encoder, decoder = OpusEncoder(24), AudioDecoder("opus", 48000)
    packets = encoder.frames(speech[:16000])
    decoder.decode(packets[0])
    with pytest.raises(ProtocolError, match="Opus packet 2 .* is corrupt"):
        decoder.decode(b"\xff\xff\xff")
    with pytest.raises(ProtocolError, match="one packet per binary frame"):
        AudioDecoder("opus", 48000).decode(b"".join(packets) * 100)
    with pytest.raises(ProtocolError, match="not an Opus rate"):
        AudioDecoder("opus", 44100)


@pytest.mark.parametrize("container, problem", [
    ("ogg", "page 3 fails its checksum"), ("webm", "corrupt at byte .*: an element header is not valid")])
def test_a_corrupt_container_is_refused_naming_the_problem(speech, container, problem):
    data = bytearray(muxed(speech, container))
    if container == "ogg":
        data[data.find(b"OggS", 200) + 60] ^= 0x55  # a byte inside the third page's audio
    else:
        size_at = data.find(bytes.fromhex("1F43B675")) + 4  # the first Cluster's size, then its Timecode
        timecode = size_at + 9 - data[size_at].bit_length()
        assert data[timecode] == 0xE7
        first_block = timecode + 2 + (data[timecode + 1] & 0x7F)
        assert data[first_block] == 0xA3
        data[first_block] = 0  # no EBML ID starts with a zero byte
    decoder = AudioDecoder(container)
    with pytest.raises(ProtocolError, match=problem):
        for piece in slices(bytes(data), seed=3):
            decoder.decode(piece)


@pytest.mark.parametrize("container, start", [("ogg", "not an Ogg stream"), ("webm", "not a WebM stream")])
def test_a_stream_must_start_with_its_headers(speech, container, start):
    """What a resumed connection would send if it went on with the former container: refused."""
    data = muxed(speech, container)
    with pytest.raises(ProtocolError, match=start):
        AudioDecoder(container).decode(data[len(data) // 2:])


@pytest.mark.parametrize("container", ["ogg", "webm"])
def test_a_truncated_container_is_refused_at_the_end_of_audio(speech, container):
    data = muxed(speech, container)
    decoder = AudioDecoder(container)
    decoder.decode(data[:-25])
    with pytest.raises(ProtocolError, match="truncated"):
        decoder.flush(complete=True)
    assert decoder.flush(complete=False).size < 100  # a drain ends it anyway: the resampler's tail, no complaint


@pytest.mark.parametrize("container", ["ogg", "webm"])
def test_a_resumed_connection_starts_a_new_container_and_counts_on(speech, container):
    """The first connection dropped halfway through its container; the second sends a new one. The
    decoder's count of audio goes on from what the first held, and the held-back tail comes out."""
    data = muxed(speech, container)
    decoder = AudioDecoder(container)
    first = np.concatenate([decoder.decode(data[:len(data) // 2])])
    held = decoder.received_seconds
    assert held > 0
    tail = decoder.restart()
    assert len(first) + len(tail) == pytest.approx(held * 16000, abs=1)
    second = np.concatenate([decoder.decode(p) for p in slices(data, seed=4)] + [decoder.flush(complete=True)])
    assert decoder.received_seconds == pytest.approx(held + len(second) / 16000, abs=0.002)
