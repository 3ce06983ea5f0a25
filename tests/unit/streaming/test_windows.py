"""What a window asks the model for (whisper_live/streaming/windows.py window_request): the beam, the whole
30 s window or a trimmed one, where the text starts, word times, the prompt and the prefix."""

import numpy as np

from whisper_live.protocol import SAMPLE_RATE, Segment
from whisper_live.streaming import FINAL, PARTIAL
from whisper_live.streaming.config import StreamConfig
from whisper_live.streaming.windows import window_request
from whisper_live.transcriber.base import Prefix


def test_how_each_kind_of_window_is_decoded():
    audio = np.zeros(SAMPLE_RATE, dtype=np.float32)
    greedy, thorough = StreamConfig(initial_prompt="mine"), StreamConfig(initial_prompt="mine", final_beam_size=5)
    completed = [Segment(start=0.0, end=0.4, text=" w1", completed=True)]  # the window starts at 0.6 s
    fields = lambda r: (r.beam_size, r.full_window, r.decode_from, r.word_timestamps, r.initial_prompt)
    # partial windows are greedy over the trimmed window, whatever the finals do
    assert fields(window_request(thorough, PARTIAL, audio, "en", 0.0, completed, 0.6)) == \
        (1, False, 0.0, False, "mine")
    # a greedy final with context asks for word times, to split its answer where the context ends
    assert fields(window_request(greedy, FINAL, audio, "en", 0.4, completed, 0.6)) == (1, False, 0.0, True, "mine")
    # a thorough final: the whole 30 s window without context, else it goes on from the context's end,
    # conditioned on the committed text before it
    assert fields(window_request(thorough, FINAL, audio, "en", 0.0, completed, 0.6)) == (5, True, 0.0, False, "mine")
    assert fields(window_request(thorough, FINAL, audio, "en", 0.4, completed, 0.6)) == \
        (5, False, 0.4, False, "mine w1")
    # ... and when its context replays the last committed segment whole, its answer starts with that segment
    with_prefix = window_request(thorough, FINAL, audio, "en", 0.6, completed, 0.6)
    assert (with_prefix.decode_from, with_prefix.prefix) == (0.6, Prefix("w1", 0.0))
    assert with_prefix.initial_prompt == "mine" and with_prefix.prompt_text() == "mine w1"
    assert window_request(thorough, FINAL, audio, "en", 0.4, completed, 0.6).prefix is None


def test_speaker_labels_ask_for_word_times_whatever_the_client_asked():
    audio = np.zeros(SAMPLE_RATE, dtype=np.float32)
    for kind in (PARTIAL, FINAL):
        assert not window_request(StreamConfig(final_beam_size=5), kind, audio, "en", 0.0, [], 0.0).word_timestamps
        labelled = StreamConfig(final_beam_size=5, word_times_for_speakers=True)
        assert window_request(labelled, kind, audio, "en", 0.0, [], 0.0).word_timestamps
