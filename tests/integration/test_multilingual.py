"""The multilingual base model (assembled from its two PyPI packages): language detection and translate."""

import numpy as np
import pytest

from tests.conftest import audioeval_clip
from tests.ws_session import load_audio, stream
from whisper_live.wer import normalize, wer


@pytest.fixture(scope="module")
def base_server(start_server):
    return start_server("-fw", "base", "--max_clients", "4")


@pytest.fixture(scope="module")
def base_transcriber():
    from whisper_live.models import resolve_model
    from whisper_live.transcriber import load_transcriber

    return load_transcriber("faster_whisper", resolve_model("base"))


def padded(path):
    silence = np.zeros(16000, np.float32)
    return np.concatenate([silence[:8000], load_audio(path), silence])


@pytest.mark.parametrize("language, name", [("fr", "pangrama"), ("es", "hola_mundo"), ("pt", "contagem")])
def test_language_is_detected_and_sent_once(base_server, language, name):
    path, reference = audioeval_clip(language, name)
    outcome = stream(base_server.url, padded(path), speed=2.0, language=None)
    detected = outcome.of("language")
    assert len(detected) == 1, outcome.replies
    assert detected[0].language == language and 0.0 < detected[0].language_prob <= 1.0
    assert outcome.text, "the clip is transcribed as well"


def test_french_transcript_in_french(base_server):
    path, reference = audioeval_clip("fr", "pangrama")
    outcome = stream(base_server.url, padded(path), speed=2.0, language="fr")
    # measured with base offline: "Portez ce vieux whisky au juge Blanqui Fume." (WER 0.33)
    assert wer(reference, outcome.text) <= 0.5, outcome.text


def test_translate_gives_english(base_server):
    path, _ = audioeval_clip("fr", "pangrama")
    outcome = stream(base_server.url, padded(path), speed=2.0, language="fr", task="translate")
    words = set(normalize(outcome.text).split())
    # base translates "Portez ce vieux whisky..." to "bring this old whiskey ..."
    assert words & {"old", "whiskey", "whisky", "judge", "bring", "carry"}, outcome.text
    assert not words & {"portez", "vieux", "juge", "ce"}, outcome.text


def test_english_only_model_warns_about_translate(live_server):
    path, _ = audioeval_clip("en", "hello_world")
    outcome = stream(live_server.url, padded(path), speed=2.0, task="translate", language="de")
    messages = " ".join(str(r.message) for r in outcome.of("warning"))
    assert "English" in messages and "translate" in messages


def test_translation_is_not_sampled_again_for_its_low_probability(base_transcriber, monkeypatch):
    """Translations score below Whisper's -1 log-probability threshold as a rule (-1.2 for this clip with
    0.2 s before it and 0.6 s after): the temperature fallback, sampling again, once replaced the English with
    the French the clip says, which the model finds more probable. Only a translation that repeats itself is
    sampled again."""
    from whisper_live.transcriber.base import Request

    path, _ = audioeval_clip("fr", "pangrama")
    silence = np.zeros(16000, np.float32)
    audio = np.concatenate([silence[:3200], load_audio(path), silence[:9600]])
    fallbacks = []
    fallback = base_transcriber._fallback
    monkeypatch.setattr(base_transcriber, "_fallback", lambda *args: fallbacks.append(args) or fallback(*args))

    translated = base_transcriber.transcribe_batch([Request(audio=audio, language="fr", task="translate")])[0]
    words = set(normalize(" ".join(s.text for s in translated.segments)).split())
    assert words & {"old", "whiskey", "judge"} and not words & {"vieux", "juge", "ce"}, translated.segments
    assert not fallbacks, "a translation that does not repeat itself is kept as decoded"


def test_a_translated_file_is_not_sampled_again_for_its_low_probability(base_transcriber):
    """The same rule for a file (faster-whisper's own transcribe): its beam-searched English for this clip
    scores -1.08, and with Whisper's -1 threshold it was sampled again up to temperature 1.0, where a sample
    of the French could win (the REST translation test failed so in a CI run)."""
    from whisper_live.transcriber.files import FileOptions

    path, _ = audioeval_clip("fr", "pangrama")
    transcript = base_transcriber.transcribe_file(load_audio(path), FileOptions(language="fr", task="translate"))
    segments = list(transcript.segments)
    words = set(normalize(" ".join(s.text for s in segments)).split())
    assert words & {"old", "whiskey", "judge"} and not words & {"vieux", "juge", "ce"}, segments
    assert [s.temperature for s in segments] == [0.0] * len(segments), segments
