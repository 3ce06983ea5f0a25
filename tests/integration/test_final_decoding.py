"""The faster_whisper backend decodes each request as it asks: beam search for final windows, greedy for
partial ones, both in one batch at the length the longer rule gives them; and a transcript that
starts where a final window's replayed context ends."""

import numpy as np
import pytest

from tests.conftest import audioeval_clip
from tests.ws_session import load_audio
from whisper_live.protocol import SAMPLE_RATE
from whisper_live.transcriber.base import Prefix, Request
from whisper_live.transcriber.encoder_input import SIZED
from whisper_live.wer import wer


@pytest.fixture(scope="module")
def tiny_en():
    from whisper_live.models import resolve_model
    from whisper_live.transcriber import load_transcriber

    return load_transcriber("faster_whisper", resolve_model("tiny.en"))


def spy(transcriber, monkeypatch):
    """Record the frames of each encoder call and the beam size of each generate call."""
    calls = {"frames": [], "beams": []}
    encode, generate = transcriber._encode, transcriber._generate

    def recording_encode(features):
        calls["frames"].append(features.shape[-1])
        return encode(features)

    def recording_generate(storage, prompts, seconds, beam_size=1, **options):
        calls["beams"].append((beam_size, len(prompts)))
        return generate(storage, prompts, seconds, beam_size=beam_size, **options)

    monkeypatch.setattr(transcriber, "_encode", recording_encode)
    monkeypatch.setattr(transcriber, "_generate", recording_generate)
    return calls


def test_a_final_and_a_partial_request_in_one_batch(tiny_en, monkeypatch):
    path, reference = audioeval_clip("en", "quick_brown_fox")
    audio = load_audio(path)
    calls = spy(tiny_en, monkeypatch)
    final, partial = tiny_en.transcribe_batch([
        Request(audio=audio, language="en", beam_size=5, full_window=True, initial_prompt="A typing exercise."),
        Request(audio=audio, language="en"),
    ])
    # the batch is computed at the beam-searched final's window (whisper_live/transcriber/encoder_input.py)
    assert calls["frames"] == [int(SIZED.beam.seconds(len(audio) / SAMPLE_RATE) * 100)]
    assert sorted(calls["beams"]) == [(1, 1), (5, 1)]  # one generate call per decoding mode
    for result in (final, partial):
        text = " ".join(s.text for s in result.segments)
        assert wer(reference, text) <= 0.2, text
        assert "typing" not in text.lower()  # the prompt conditions the text; it is not transcribed


def test_partial_requests_alone_keep_the_trimmed_window(tiny_en, monkeypatch):
    path, reference = audioeval_clip("en", "quick_brown_fox")
    audio = load_audio(path)
    calls = spy(tiny_en, monkeypatch)
    result = tiny_en.transcribe_batch([Request(audio=audio, language="en")])[0]
    assert calls["frames"][0] < 3000 and calls["beams"] == [(1, 1)]
    assert wer(reference, " ".join(s.text for s in result.segments)) <= 0.2


def test_a_request_decoded_from_the_end_of_its_context_writes_only_what_follows(tiny_en, monkeypatch):
    # a final window as the streaming core sends it: committed speech (the context), a pause, new speech
    context_path, context_text = audioeval_clip("en", "quick_brown_fox")
    new_path, new_text = audioeval_clip("en", "counting")
    context, new = load_audio(context_path), load_audio(new_path)
    audio = np.concatenate([context, np.zeros(SAMPLE_RATE // 2, dtype=np.float32), new])
    cut = (len(context) + SAMPLE_RATE // 4) / SAMPLE_RATE  # in the pause
    alone = tiny_en.transcribe_batch([Request(audio=new, language="en", word_timestamps=True)])[0]
    calls = spy(tiny_en, monkeypatch)
    result = tiny_en.transcribe_batch([Request(audio=audio, language="en", beam_size=5, initial_prompt=context_text,
                                               decode_from=cut, word_timestamps=True)])[0]
    assert calls["frames"][0] < 3000 and calls["beams"] == [(5, 1)]
    text = " ".join(s.text for s in result.segments)
    # what follows the cut, not the context again; one to ten in words, or in digits (a longer window
    # makes Whisper write "1-234-567-8910")
    digits = "".join(c for c in text if c.isdigit())
    assert wer(new_text, text) <= 0.2 or digits == "12345678910", text
    assert "fox" not in text.lower()
    assert result.segments and all(s.start >= cut for s in result.segments)
    words = [w for s in result.segments for w in s.words]
    assert words and all(cut - 0.1 <= w.start <= w.end <= len(audio) / SAMPLE_RATE + 0.01 for w in words)
    # on the window's clock: the first word where the new speech alone put it
    assert abs(words[0].start - (len(audio) - len(new)) / SAMPLE_RATE - alone.segments[0].words[0].start) < 0.4


def test_a_request_that_goes_on_with_the_last_committed_segment_returns_only_what_follows(tiny_en, monkeypatch):
    # as above, but the model is given the context's text as the start of its answer (Request.prefix)
    context_path, context_text = audioeval_clip("en", "quick_brown_fox")
    new_path, new_text = audioeval_clip("en", "counting")
    context, new = load_audio(context_path), load_audio(new_path)
    audio = np.concatenate([context, np.zeros(SAMPLE_RATE // 2, dtype=np.float32), new])
    cut = (len(context) + SAMPLE_RATE // 4) / SAMPLE_RATE
    prompt = "Some text before."
    calls = spy(tiny_en, monkeypatch)
    result = tiny_en.transcribe_batch([Request(audio=audio, language="en", beam_size=5, initial_prompt=prompt,
                                               decode_from=cut, prefix=Prefix(context_text, 0.0),
                                               word_timestamps=True)])[0]
    assert calls["beams"] == [(5, 1)]
    text = " ".join(s.text for s in result.segments)
    assert wer(new_text, text) <= 0.2, text
    assert "fox" not in text.lower() and "dog" not in text.lower()
    assert result.segments and all(s.start >= cut for s in result.segments)
