"""The faster_whisper backend decodes each request as it asks: beam search over Whisper's whole 30 s window
for final windows, greedy over a trimmed window for partial ones, both in one batch."""

import pytest

pytest.importorskip("faster_whisper")

from tests.conftest import audioeval_clip  # noqa: E402
from tests.ws_session import load_audio  # noqa: E402
from whisper_live.transcriber.base import Request  # noqa: E402
from whisper_live.wer import wer  # noqa: E402


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
    assert calls["frames"] == [3000]  # the batch is computed at Whisper's whole window
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
