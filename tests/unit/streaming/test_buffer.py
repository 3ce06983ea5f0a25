"""The stream's audio buffer: what goes in comes out at its sample indices, whatever was let go before it."""

import numpy as np

from whisper_live.streaming.buffer import MIN_CAPACITY, AudioBuffer


def test_samples_keep_their_indices_across_growth_and_dropping():
    rng = np.random.default_rng(0)
    audio = rng.standard_normal(40 * 16000).astype(np.float32)
    buffer, fed, dropped = AudioBuffer(), 0, 0
    for size in rng.integers(1, 9000, 600):
        buffer.append(audio[fed:fed + size])
        fed = min(len(audio), fed + size)
        if rng.random() < 0.2:
            dropped = min(fed, dropped + int(rng.integers(0, 20000)))
            buffer.drop_before(dropped)
        assert (buffer.start, buffer.end, len(buffer)) == (dropped, fed, fed - dropped)
        lo = int(rng.integers(dropped, fed + 1))
        hi = int(rng.integers(lo, fed + 1))
        assert np.array_equal(buffer.samples(lo, hi), audio[lo:hi])
        if fed == len(audio):
            break


def test_a_range_is_clipped_to_what_is_held_and_a_copy():
    buffer = AudioBuffer()
    buffer.append(np.arange(10, dtype=np.float32))
    buffer.drop_before(4)
    assert buffer.samples(0, 100).tolist() == list(range(4, 10))
    assert buffer.samples(7, 5).tolist() == []
    part = buffer.samples(4, 6)
    part[:] = -1
    assert buffer.samples(4, 6).tolist() == [4, 5]


def test_the_array_is_not_replaced_per_frame():
    buffer = AudioBuffer()
    frame = np.zeros(4096, np.float32)
    arrays = []
    for _ in range(200):  # 51 s of frames, let go of as they come (as a stream does between utterances)
        buffer.append(frame)
        buffer.drop_before(buffer.end - 16000)
        if not arrays or arrays[-1] is not buffer._data:
            arrays.append(buffer._data)
    assert len(arrays) <= 2  # the first array, and at most one larger: the front is reused from then on
    assert len(buffer._data) <= 4 * max(MIN_CAPACITY, 16000 + 4096)
