"""A final window going on from its context starts its answer with the last committed segment
(``Request.decode_prefix``): the faster_whisper backend moves that text from the prompt into the answer's
start and gives back only what the model wrote after it."""

from whisper_live.transcriber.base import Request
from whisper_live.transcriber.faster_whisper_backend import _prompt_and_prefix, _without_prefix


class Tokens:
    """A tokenizer of one token per character, enough for the functions here."""

    def decode(self, ids):
        return "".join(chr(i) for i in ids)


def ids(text):
    return [ord(c) for c in text]


def test_the_prefix_moves_from_the_prompt_into_the_answer_without_its_full_stop():
    request = Request(audio=None, initial_prompt="Before it. printing beautiful letters.", decode_from=3.0,
                      decode_prefix="printing  beautiful letters.", prefix_from=1.0)
    assert _prompt_and_prefix(request) == ("Before it.", "printing beautiful letters")


def test_no_prefix_without_decode_from_or_when_the_prompt_does_not_end_with_it():
    assert _prompt_and_prefix(Request(audio=None, initial_prompt="a b.", decode_prefix="b.")) == ("a b.", "")
    assert _prompt_and_prefix(Request(audio=None, initial_prompt="a b.", decode_from=1.0,
                                      decode_prefix="c.")) == ("a b.", "")
    assert _prompt_and_prefix(Request(audio=None, initial_prompt="a b...", decode_from=1.0,
                                      decode_prefix="b...")) == ("a", "b...")


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
