"""The faster_whisper backend's fallback when a greedy answer repeats itself or is improbable.

The model is a fake that answers each decoding mode with scripted hypotheses, so the choice among them is
checked without the real model (which rarely falls back on clean speech).
"""

import types

import numpy as np
import pytest

pytest.importorskip("ctranslate2")

from whisper_live.transcriber import faster_whisper_backend as backend  # noqa: E402

EOT = 1000
TIMESTAMP_BEGIN = 1002  # <|0.00|>; the prompts below hold no timestamp


class Tokenizer:
    eot = EOT

    @staticmethod
    def decode(tokens):
        return " ".join(f"t{t}" for t in tokens)


def output(*hypotheses):
    """A generation result: (tokens, average log probability) per hypothesis."""
    return types.SimpleNamespace(sequences_ids=[list(t) for t, _ in hypotheses],
                                 scores=[lp * (len(t) + 1) / len(t) for t, lp in hypotheses])


def transcriber(answers):
    """A FasterWhisperTranscriber whose model answers ``answers[mode]``; records the modes asked for."""
    modes = []

    def generate(storage, prompts, beam_size=1, sampling_temperature=None, **options):
        mode = f"beam{beam_size}" if sampling_temperature is None else f"t{sampling_temperature}"
        modes.append(mode)
        assert options["max_length"] == 1 + 16 * 4 + 16  # prompt + a budget for 4 s of audio
        return [answers[mode]]

    t = object.__new__(backend.FasterWhisperTranscriber)
    t.model = types.SimpleNamespace(model=types.SimpleNamespace(generate=generate), max_length=448)
    t._timestamp_begin = TIMESTAMP_BEGIN
    return t, modes


ENCODED = np.zeros((1, 4), dtype=np.float32)
REPEATING = list(range(5)) * 20  # compresses far beyond the threshold


def test_the_first_sample_that_passes_wins():
    t, modes = transcriber({"t0.2": output(([4, 5], -1.4)), "t0.4": output(([1, 2, 3], -0.3))})
    tokens, logprob = t._fallback(ENCODED[0], [0], Tokenizer, ([7, 8], -1.6), 4.0)
    assert tokens == [1, 2, 3] and logprob == pytest.approx(-0.3)
    assert modes == ["t0.2", "t0.4"]


def test_when_nothing_passes_the_most_probable_answer_that_does_not_repeat_wins():
    t, modes = transcriber({
        "t0.2": output((REPEATING, -0.1)),  # probable, but a repetition loop
        "t0.4": output(([21], -1.2)),
        "t0.6": output(([22], -1.9)),
    })
    tokens, _ = t._fallback(ENCODED[0], [0], Tokenizer, ([7, 8], -1.6), 4.0)
    assert tokens == [21]
    assert modes == ["t0.2", "t0.4", "t0.6"]
    # the greedy answer stays when no sample beats it
    t, _ = transcriber({"t0.2": output(([20], -1.8)), "t0.4": output(([21], -1.7)), "t0.6": output(([22], -1.9))})
    assert t._fallback(ENCODED[0], [0], Tokenizer, ([7, 8], -1.6), 4.0)[0] == [7, 8]


def test_a_greedy_repetition_loop_gives_way_to_a_less_probable_sample():
    t, _ = transcriber({"t0.2": output(([20], -1.8)), "t0.4": output(([21], -1.7)), "t0.6": output(([22], -1.9))})
    assert t._fallback(ENCODED[0], [0], Tokenizer, (REPEATING, -0.2), 4.0)[0] == [21]


def test_a_repetition_loop_is_told_from_a_sentence():
    from whisper_live.transcriber.fallback import repeats_itself

    assert repeats_itself(" It was natural therefore." * 12)
    assert not repeats_itself(" The earliest book printed with movable type, the aforesaid Gutenberg Bible.")
    assert not repeats_itself("")


def test_no_timestamp_of_an_answer_lies_before_the_one_its_prompt_ends_with():
    """A continued final's prompt ends with its start's timestamp (here 14.00 s): the answer's timestamps
    before it are suppressed, and its first timestamp may come up to 1 s after it, as from 0 otherwise."""
    asked = []
    t = object.__new__(backend.FasterWhisperTranscriber)
    t.model = types.SimpleNamespace(model=types.SimpleNamespace(
        generate=lambda storage, prompts, **options: asked.append(options)), max_length=448)
    t._timestamp_begin = TIMESTAMP_BEGIN
    t._generate(None, [[0, 5, TIMESTAMP_BEGIN + 700, 9]], 4.0)
    t._generate(None, [[0, 5, 9]], 4.0)
    with_start, without = asked
    assert with_start["suppress_tokens"] == [-1] + list(range(TIMESTAMP_BEGIN, TIMESTAMP_BEGIN + 700))
    assert with_start["max_initial_timestamp_index"] == 750
    assert without["suppress_tokens"] == [-1] and without["max_initial_timestamp_index"] == 50
