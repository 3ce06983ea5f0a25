"""POST /v1/audio/translations with the multilingual base model: French speech in, English text out."""

from __future__ import annotations

import pytest

from tests.api.conftest import ApiServerProcess, openai_client
from tests.conftest import audioeval_clip
from whisper_live.wer import normalize


@pytest.fixture(scope="module")
def base_client():
    server = ApiServerProcess("-fw", "base", "--max_clients", "4")
    yield openai_client(server)
    server.stop()


def test_translation_gives_english(base_client):
    path, _ = audioeval_clip("fr", "pangrama")
    with open(path, "rb") as f:
        result = base_client.audio.translations.create(model="base", file=f, response_format="verbose_json")
    words = set(normalize(result.text).split())
    # base translates "Portez ce vieux whisky au juge blond qui fume" to "bring this old whiskey to the judge ..."
    assert words & {"old", "whiskey", "whisky", "judge", "bring", "carry"}, result.text
    assert not words & {"portez", "vieux", "juge", "ce"}, result.text
    assert result.task == "translate"


def test_the_language_is_detected(base_client):
    path, _ = audioeval_clip("fr", "pangrama")
    with open(path, "rb") as f:
        result = base_client.audio.transcriptions.create(model="whisper-1", file=f, response_format="verbose_json")
    assert result.language == "fr" and {"vieux", "juge"} & set(normalize(result.text).split()), result.text
