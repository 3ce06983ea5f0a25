"""The faster_whisper backend (whisper_live/transcriber/faster_whisper_backend.py) without the real model.

Its fallback when a greedy answer repeats itself or is improbable: the model is a fake that answers each
decoding mode with scripted hypotheses, so the choice among them is checked without the real model (which
rarely falls back on clean speech).

Its prefix: a final window going on from its context starts its answer with the last committed segment
(``Request.prefix``); the backend writes that text as the answer's start and gives back only what the
model wrote after it.
"""

import types

import numpy as np
import pytest

pytest.importorskip("ctranslate2")

from whisper_live.transcriber import faster_whisper_backend as backend  # noqa: E402
from whisper_live.transcriber.base import Prefix, Request  # noqa: E402
from whisper_live.transcriber.faster_whisper_backend import _prompt_and_prefix, _without_prefix  # noqa: E402

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


class Tokens:
    """A tokenizer of one token per character, enough for the functions here."""

    def decode(self, ids):
        return "".join(chr(i) for i in ids)


def ids(text):
    return [ord(c) for c in text]


def test_the_answer_starts_with_the_prefix_without_its_full_stop():
    request = Request(audio=None, initial_prompt="Before it.", decode_from=3.0,
                      prefix=Prefix("printing  beautiful letters.", 1.0))
    assert _prompt_and_prefix(request) == ("Before it.", "printing beautiful letters")
    assert request.prompt_text() == "Before it. printing  beautiful letters."  # for backends without prefixes


def test_no_prefix_without_decode_from_and_an_ellipsis_is_kept():
    assert _prompt_and_prefix(Request(audio=None, initial_prompt="a", prefix=Prefix("b."))) == ("a", "")
    assert _prompt_and_prefix(Request(audio=None, initial_prompt=" a ", decode_from=1.0,
                                      prefix=Prefix("b..."))) == ("a", "b...")
    assert Request(audio=None).prompt_text() is None
    assert Request(audio=None, prefix=Prefix("b.")).prompt_text() == "b."


def test_only_what_follows_the_prefix_comes_back_and_starts_where_the_new_audio_does():
    prefix = " beautiful letters"
    pieces = [(1.0, 4.0, ids(prefix + ". than in the same")), (4.0, 5.0, ids(" ways."))]
    assert [(s, e, Tokens().decode(t)) for s, e, t in _without_prefix(pieces, ids(prefix), 2.5, Tokens())] == \
        [(2.5, 5.0, "than in the same ways.")]  # the end of the prefix's segment joins the next one
    pieces = [(1.0, 4.0, ids(prefix + " than in the same ways."))]
    assert [(s, e, Tokens().decode(t)) for s, e, t in _without_prefix(pieces, ids(prefix), 2.5, Tokens())] == \
        [(2.5, 4.0, "than in the same ways.")]  # (this tokenizer drops the space: one token each)
    # the model closed the prefix's segment at once: only its later segments are new
    pieces = [(1.0, 2.4, ids(prefix + ".")), (2.6, 5.0, ids(" Then more."))]
    assert [Tokens().decode(t) for _, _, t in _without_prefix(pieces, ids(prefix), 2.5, Tokens())] == \
        [" Then more."]


def test_an_answer_that_does_not_start_with_the_prefix_is_left_as_it_came():
    pieces = [(1.0, 4.0, ids(" something else")), (4.0, 5.0, ids(" ways."))]
    assert _without_prefix(pieces, ids(" beautiful letters"), 2.5, Tokens()) == pieces
