"""whisper_live/fit.py: what a transcriber cannot do of a request, and what a session does instead."""

import pytest

from tests.fakes import ScriptedTranscriber
from whisper_live import fit, protocol

ENGLISH_ONLY = ScriptedTranscriber(multilingual=False)
MULTILINGUAL = ScriptedTranscriber(multilingual=True)


def codes(result: fit.Fit) -> list[tuple[str, str]]:
    return [(f.code, f.param) for f in result.findings]


@pytest.mark.parametrize("transcriber", [ENGLISH_ONLY, MULTILINGUAL], ids=["english_only", "multilingual"])
@pytest.mark.parametrize("language", [None, "en"])
def test_english_or_detection_fits_every_model(transcriber, language):
    result = fit.check(transcriber, language, "transcribe")
    assert result.findings == ()
    assert result.task == "transcribe"
    assert result.language == (language if transcriber.multilingual else "en")


@pytest.mark.parametrize("language", ["fr", "yue", "haw", None])
@pytest.mark.parametrize("task", ["transcribe", "translate"])
def test_a_multilingual_model_does_any_whisper_language_and_translate(language, task):
    assert fit.check(MULTILINGUAL, language, task) == fit.Fit(language=language, task=task)


def test_an_unknown_code_is_invalid_and_a_multilingual_model_detects_instead():
    result = fit.check(MULTILINGUAL, "xx")
    assert codes(result) == [("invalid_language", "language")]
    assert result.findings[0].message == "language 'xx' is not an ISO-639-1 code Whisper knows"
    assert result.language is None and "detects the language" in result.findings[0].warning


def test_an_unknown_code_with_an_english_only_model_is_transcribed_as_english():
    result = fit.check(ENGLISH_ONLY, "french")
    assert codes(result) == [("invalid_language", "language")]
    assert result.language == "en" and result.findings[0].instead == "transcribes as English"


def test_another_language_of_an_english_only_model_names_a_multilingual_one():
    result = fit.check(ENGLISH_ONLY, "fr")
    assert codes(result) == [("model_not_multilingual", "language")]
    finding = result.findings[0]
    assert "'fake' knows only English, not 'fr'" in finding.message and "'base'" in finding.message
    assert result.language == "en"
    assert finding.warning.endswith("instead, the server transcribes as English")


def test_translate_with_an_english_only_model_transcribes_first_finding_first():
    result = fit.check(ENGLISH_ONLY, "de", "translate")
    assert codes(result) == [("model_not_multilingual", "model"), ("model_not_multilingual", "language")]
    assert "cannot translate" in result.findings[0].message and "'base'" in result.findings[0].message
    assert (result.language, result.task) == ("en", "transcribe")


@pytest.mark.parametrize("transcriber", [ENGLISH_ONLY, MULTILINGUAL], ids=["english_only", "multilingual"])
def test_translation_into_a_target_language_is_not_offered(transcriber):
    result = fit.check(transcriber, None, enable_translation=True, target_language="fr")
    assert codes(result) == [("translation_target_unsupported", "target_language")]
    finding = result.findings[0]
    assert "'fr'" in finding.message and "task=translate translates into English" in finding.message
    assert finding.instead == "sends the transcript only, without translated_segments"
    assert result.task == "transcribe"


def test_a_target_language_without_enable_translation_asks_for_nothing():
    # WhisperLive's client always sends target_language ("fr" by default)
    assert fit.check(MULTILINGUAL, None, target_language="fr").findings == ()


def test_diarization_is_unavailable():
    result = fit.check(MULTILINGUAL, "en", enable_diarization=True)
    assert codes(result) == [("diarization_unavailable", "enable_diarization")]
    assert "speaker labels" in result.findings[0].warning


def test_diarization_is_offered_where_the_server_labels_speakers():
    assert fit.check(MULTILINGUAL, "en", enable_diarization=True, diarization=True).findings == ()


def test_settle_options_keeps_diarization_only_where_the_server_labels_speakers():
    message = '{"enable_diarization": true, "max_speakers": 3}'
    options = protocol.ClientOptions.from_message(message)
    assert fit.settle_options(MULTILINGUAL, options, diarization=True) == []
    assert options.enable_diarization
    options = protocol.ClientOptions.from_message(message)
    warnings = fit.settle_options(MULTILINGUAL, options, diarization=False)
    assert len(warnings) == 1 and "--diarization off" in warnings[0]
    assert not options.enable_diarization


def test_settle_options_sets_what_the_session_uses_and_returns_the_warnings():
    options = protocol.ClientOptions.from_message(
        '{"language": "fr", "task": "translate", "enable_translation": true, "target_language": "de",'
        ' "enable_diarization": true}')
    warnings = fit.settle_options(ENGLISH_ONLY, options)
    assert (options.language, options.task) == ("en", "transcribe")
    assert len(warnings) == 4 and "'de'" in warnings[2] and "speaker" in warnings[3]
    assert all("; instead, the server " in w for w in warnings)


def test_whisper_languages_are_the_codes_faster_whispers_tokenizer_accepts():
    tokenizers = pytest.importorskip("tokenizers")
    from faster_whisper.tokenizer import Tokenizer

    vocabulary = tokenizers.Tokenizer(tokenizers.models.BPE())  # no tokens: the codes are checked before
    for code in fit.WHISPER_LANGUAGES:
        Tokenizer(vocabulary, True, task="transcribe", language=code)
    with pytest.raises(ValueError) as refused:
        Tokenizer(vocabulary, True, task="transcribe", language="xx")
    accepted = str(refused.value).split("accepted language codes:")[1].strip(" )").split(", ")
    assert sorted(accepted) == sorted(fit.WHISPER_LANGUAGES)
    assert len(set(fit.WHISPER_LANGUAGES)) == len(fit.WHISPER_LANGUAGES)
