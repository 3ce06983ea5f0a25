"""Stream.committed_until: written in one place only, and never moved back."""

import numpy as np
import pytest

from tests.fakes import ScriptedTranscriber, silence, speech
from tests.unit.session_driver import CHUNK, make, serve
from whisper_live.protocol import SAMPLE_RATE


def test_committed_until_cannot_be_set_from_outside():
    stream, _ = make()
    with pytest.raises(AttributeError):
        stream.committed_until = SAMPLE_RATE


def test_committed_until_refuses_to_move_back():
    stream, _ = make()
    stream.add_audio(silence(2.0))  # silence between utterances is done with
    assert stream.committed_until > 0
    with pytest.raises(AssertionError):
        stream._advance_committed(stream.committed_until - 1)


def test_committed_until_only_moves_forward_through_pauses_clicks_commits_and_skips():
    model = ScriptedTranscriber()
    stream, clock = make(max_buffer=10.0)
    click = np.full(600, 0.2, dtype=np.float32)  # one VAD frame of sound: too short to be speech
    audio = np.concatenate([silence(1.0), click, silence(1.0), speech([1, 2, 3]), silence(1.0),
                            speech(list(range(4, 60)), gap=0.05), silence(1.0)])
    seen = []
    for n, i in enumerate(range(0, len(audio), CHUNK)):
        stream.add_audio(audio[i:i + CHUNK])
        clock.now += CHUNK / SAMPLE_RATE
        seen.append(stream.committed_until)
        if n < 40 or n % 40 == 0:  # then the model falls behind: the long utterance overflows the buffer
            serve(stream, model)
            seen.append(stream.committed_until)
    stream.end_of_audio()
    serve(stream, model)
    seen.append(stream.committed_until)
    assert any("skipped" in w for w in stream.take_warnings())
    assert seen == sorted(seen) and seen[-1] > seen[0]
    assert stream.finished
