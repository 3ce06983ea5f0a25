"""whisper_live/protocol.py's ClientOptions: WhisperLive's options this server reads but does not offer."""

import json

import pytest

from whisper_live import protocol


def parse(**options) -> protocol.ClientOptions:
    return protocol.ClientOptions.from_message(json.dumps({"uid": "u", **options}))


def test_translation_and_diarization_as_whisperlives_client_sends_them():
    options = parse(enable_translation=True, target_language="de", enable_diarization=True)
    assert (options.enable_translation, options.target_language, options.enable_diarization) == (True, "de", True)


def test_off_by_default():
    options = parse()
    assert (options.enable_translation, options.target_language, options.enable_diarization) == (False, None, False)


def test_known_speakers_ask_for_diarization():
    options = parse(enable_diarization=False, known_speakers=[{"name": "Ann", "audio_base64": ""}])
    assert options.enable_diarization


def test_a_target_language_that_is_not_a_string_is_refused():
    with pytest.raises(protocol.ProtocolError, match="target_language"):
        parse(enable_translation=True, target_language=["fr"])


def test_to_message_round_trips_them():
    sent = protocol.ClientOptions(uid="u", enable_translation=True, target_language="fr", enable_diarization=True)
    assert protocol.ClientOptions.from_message(sent.to_message()) == sent
    assert "enable_translation" not in protocol.ClientOptions(uid="u").to_message()
