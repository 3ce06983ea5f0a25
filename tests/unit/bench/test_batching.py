"""The batching bench's windows (whisper_live/bench/batching.py)."""

import numpy as np
import pytest


def test_batching_windows_wrap_around_short_audio():
    from whisper_live.bench.batching import windows_of

    audio = np.arange(16000 * 5, dtype=np.float32)
    windows = windows_of(audio, 2.0, 5)
    assert [int(w[0]) for w in windows] == [0, 32000, 0, 32000, 0]
    assert all(len(w) == 32000 for w in windows)
    with pytest.raises(ValueError):
        windows_of(audio, 6.0, 1)
