"""Encoder input sized to the audio, with the real model: each batch is encoded at the length its rule
gives, and what a short window could get wrong does not happen: no segment past the audio, no words made
up from noise or silence at the window's end, no repetition of a word cut in the middle."""

import numpy as np
import pytest

from tests.conftest import audioeval_clip
from tests.ws_session import load_audio
from whisper_live.protocol import SAMPLE_RATE
from whisper_live.transcriber.base import Request
from whisper_live.transcriber.encoder_input import FULL_INPUTS, SIZED
from whisper_live.wer import normalize, wer

HOP = 160  # mel frames are 10 ms; the encoder input is counted in them


@pytest.fixture(scope="module")
def tiny_en():
    from whisper_live.models import resolve_model
    from whisper_live.transcriber import load_transcriber

    transcriber = load_transcriber("faster_whisper", resolve_model("tiny.en"))
    yield transcriber
    transcriber.close()


@pytest.fixture
def frames(tiny_en, monkeypatch):
    """The mel frames of each encoder call."""
    seen = []
    encode = tiny_en._encode

    def recording(features):
        seen.append(features.shape[-1])
        return encode(features)

    monkeypatch.setattr(tiny_en, "_encode", recording)
    return seen


def transcribe(transcriber, audio, windows=SIZED, **request):
    transcriber.encoder_inputs = windows
    try:
        return transcriber.transcribe_batch([Request(audio=audio, language="en", **request)])[0].segments
    finally:
        transcriber.encoder_inputs = SIZED


def seconds_of(audio: np.ndarray) -> float:
    return len(audio) / SAMPLE_RATE


def words(segments) -> list[str]:
    return normalize(" ".join(s.text for s in segments)).split()


def noise(seconds: float, level: float = 0.02, seed: int = 0) -> np.ndarray:
    return (np.random.default_rng(seed).standard_normal(int(seconds * SAMPLE_RATE)) * level).astype(np.float32)


@pytest.fixture(scope="module")
def fox():
    path, reference = audioeval_clip("en", "quick_brown_fox")
    return load_audio(path), reference


def test_each_batch_is_encoded_at_what_its_longest_window_needs(tiny_en, frames, fox):
    audio, _ = fox
    path, _ = audioeval_clip("en", "counting")
    pause = np.zeros(2 * SAMPLE_RATE, dtype=np.float32)
    counting = load_audio(path)
    long = np.concatenate([audio, pause, counting, pause, audio])  # (text that repeats itself would
    # be decoded again)
    greedy, beam, continued = SIZED.greedy, SIZED.beam, SIZED.continued
    tiny_en.transcribe_batch([Request(audio=audio, language="en")])
    tiny_en.transcribe_batch([Request(audio=audio, language="en"), Request(audio=long, language="en")])
    tiny_en.transcribe_batch([Request(audio=audio, language="en", beam_size=5, full_window=True)])
    tiny_en.transcribe_batch([Request(audio=audio, language="en"),
                              Request(audio=audio, language="en", beam_size=5)])
    # a final that goes on from its context (the fox heard, the counting written)
    tiny_en.transcribe_batch([Request(audio=np.concatenate([audio, pause, counting]), language="en",
                                      beam_size=5, decode_from=seconds_of(audio) + 1.0)])
    seconds = seconds_of(audio)
    expected = [greedy.seconds(seconds), greedy.seconds(seconds_of(long)), beam.seconds(seconds),
                max(greedy.seconds(seconds), beam.seconds(seconds)),
                continued.seconds(seconds + 2 + seconds_of(counting))]
    assert frames[:5] == [int(s * SAMPLE_RATE) // HOP for s in expected]
    assert expected[0] < expected[1] < 30 and expected[2] < 30 and expected[4] < beam.minimum
    frames.clear()
    transcribe(tiny_en, audio, FULL_INPUTS)
    assert frames == [3000]  # --full_encoder_input: Whisper's own 30 s


@pytest.mark.parametrize("beam_size", [1, 5])
def test_trailing_noise_adds_no_words_and_no_segment_passes_the_audio(tiny_en, fox, beam_size):
    audio, reference = fox
    noisy = np.concatenate([audio, noise(2.5)])
    duration = len(noisy) / SAMPLE_RATE
    sized = transcribe(tiny_en, noisy, beam_size=beam_size, word_timestamps=True)
    full = transcribe(tiny_en, noisy, FULL_INPUTS, beam_size=beam_size)
    assert sized and all(0 <= s.start <= s.end <= duration for s in sized)
    assert all(w.end <= duration + 1e-6 for s in sized for w in s.words or [])
    assert wer(reference, " ".join(s.text for s in sized)) <= max(0.2, wer(reference, " ".join(s.text for s in full)))
    assert len(words(sized)) <= len(normalize(reference).split()) + 1


@pytest.mark.parametrize("beam_size", [1, 5])
def test_a_window_ending_mid_word_is_not_continued_or_repeated(tiny_en, fox, beam_size):
    audio, reference = fox
    whole = transcribe(tiny_en, audio, FULL_INPUTS, word_timestamps=True)
    last = whole[-1].words[-1]
    cut = audio[:int((last.start + last.end) / 2 * SAMPLE_RATE)]  # in the middle of the last word
    duration = len(cut) / SAMPLE_RATE
    sized = transcribe(tiny_en, cut, beam_size=beam_size)
    said = words(sized)
    assert sized and all(0 <= s.start <= s.end <= duration for s in sized)
    before = normalize(reference).split()[:-1]
    assert said[:len(before) - 1] == before[:len(before) - 1]  # the words before the cut are all there
    assert len(said) <= len(before) + 1  # at most the cut word (or a guess at it): no loop, nothing made up


@pytest.mark.parametrize("make", [lambda: np.zeros(3 * SAMPLE_RATE, dtype=np.float32), lambda: noise(3.0, 0.05)],
                         ids=["silence", "noise"])
def test_silence_or_noise_alone_gives_no_more_words_than_whispers_own_window(tiny_en, make):
    audio = make()
    for beam_size in (1, 5):
        sized = words(transcribe(tiny_en, audio, beam_size=beam_size))
        full = words(transcribe(tiny_en, audio, FULL_INPUTS, beam_size=beam_size))
        assert len(sized) <= max(1, len(full)), (sized, full)
