"""A final window going on from its context starts its answer with the last committed segment
(``Request.prefix``): the faster_whisper backend writes that text as the answer's
start and gives back only what the model wrote after it."""

from whisper_live.transcriber.base import Prefix, Request
from whisper_live.transcriber.faster_whisper_backend import _prompt_and_prefix, _without_prefix


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
