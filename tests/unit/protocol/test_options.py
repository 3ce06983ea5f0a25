"""The first message of a session (whisper_live/protocol/options.py): the resume options, audio_format and
sample_rate, rooms, and WhisperLive's options this server reads (translation, diarization)."""

import json

import pytest

from whisper_live import protocol


def test_resume_options_round_trip_and_need_uid_and_token():
    opts = protocol.ClientOptions(uid="u1", resume=True, resume_token="abc")
    parsed = protocol.ClientOptions.from_message(opts.to_message())
    assert parsed.resume and parsed.resume_token == "abc" and parsed.uid == "u1"
    assert "resume" not in protocol.ClientOptions(uid="u1").to_message()  # stock clients' options unchanged
    with pytest.raises(protocol.ProtocolError, match="resume_token"):
        protocol.ClientOptions.from_message('{"uid": "u1", "resume": true}')
    with pytest.raises(protocol.ProtocolError, match="resume_token must be a string"):
        protocol.ClientOptions.from_message('{"uid": "u1", "resume": true, "resume_token": 5}')


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


def test_room_options_round_trip_and_a_client_without_a_room_sends_none():
    opts = protocol.ClientOptions.from_message(json.dumps({"room": "talk", "speaker_name": "Ann", "room_public": True}))
    assert (opts.room, opts.speaker_name, opts.room_public) == ("talk", "Ann", True)
    again = protocol.ClientOptions.from_message(opts.to_message())
    assert (again.room, again.speaker_name, again.room_public) == ("talk", "Ann", True)
    assert "room" not in json.loads(protocol.ClientOptions().to_message())
    with pytest.raises(protocol.ProtocolError):
        protocol.ClientOptions.from_message(json.dumps({"room": "no/slash"}))


def test_diarization_options_as_whisperlive_names_them():
    options = protocol.ClientOptions.from_message(json.dumps({
        "enable_diarization": True, "max_speakers": 3, "diarization_threshold": 0.6,
        "known_speaker_names": ["Ann", "Bob"]}))
    assert (options.max_speakers, options.diarization_threshold, options.speaker_names) == (3, 0.6, ["Ann", "Bob"])
    again = protocol.ClientOptions.from_message(options.to_message())
    assert (again.enable_diarization, again.max_speakers, again.speaker_names) == (True, 3, ["Ann", "Bob"])
    assert protocol.ClientOptions.from_message('{"speaker_names": ["Ann"]}').enable_diarization


@pytest.mark.parametrize("message", ['{"max_speakers": 0}', '{"diarization_threshold": 2}',
                                     '{"speaker_names": "Ann"}', '{"speaker_names": [""]}'])
def test_bad_diarization_options_are_refused(message):
    with pytest.raises(protocol.ProtocolError):
        protocol.ClientOptions.from_message(message)


@pytest.mark.parametrize("audio_format", ["mulaw", "alaw", "int16", "float32", "uint8"])
@pytest.mark.parametrize("rate", [8000, 16000, 44100, 48000])
def test_audio_format_and_sample_rate_are_read_and_written(audio_format, rate):
    options = {"uid": "u", "audio_format": audio_format, "sample_rate": rate}
    opts = protocol.ClientOptions.from_message(json.dumps(options))
    assert (opts.audio_format, opts.sample_rate) == (audio_format, rate)
    again = protocol.ClientOptions.from_message(opts.to_message())
    assert (again.audio_format, again.sample_rate) == (audio_format, rate)


def test_sample_rate_defaults_to_16k_and_is_not_sent_then():
    opts = protocol.ClientOptions.from_message(json.dumps({"uid": "u"}))
    assert opts.sample_rate == 16000
    assert "sample_rate" not in json.loads(opts.to_message())  # stock WhisperLive servers see what they know


@pytest.mark.parametrize("rate", [4000, 96000, 8000.5, "8000", True, None, -16000])
def test_bad_sample_rates_are_refused_with_a_reason(rate):
    with pytest.raises(protocol.ProtocolError, match="sample_rate must be a whole number of Hz from 8000 to 48000"):
        protocol.ClientOptions.from_message(json.dumps({"uid": "u", "sample_rate": rate}))
