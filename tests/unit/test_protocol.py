"""The WhisperLive protocol's messages (whisper_live/protocol.py): segments and words as the wire carries them
and moved in time, the resume options, SERVER_READY, and WhisperLive's options this server reads but does not
offer."""

import json

import pytest

from whisper_live import protocol
from whisper_live.protocol import Segment, Word


def test_a_shifted_segment_moves_its_words_with_it_and_leaves_the_original_alone():
    seg = Segment(start=1.0, end=2.5, text=" Hi there.", words=[Word(1.0, 1.4, " Hi", 0.9), Word(1.5, 2.5, " there.")])
    moved = seg.shifted(10.0)
    assert (moved.start, moved.end, moved.text) == (11.0, 12.5, " Hi there.")
    assert [(w.start, w.end, w.word, w.probability) for w in moved.words] == [
        (11.0, 11.4, " Hi", 0.9), (11.5, 12.5, " there.", 1.0)]
    assert seg.start == 1.0 and seg.words[0].start == 1.0
    assert seg.shifted(10.0, keep_words=False).words is None


def test_segments_cross_the_wire_unchanged():
    seg = Segment(start=0.25, end=1.5, text=" Hello.", completed=True, words=[Word(0.25, 1.5, " Hello.", 0.5)])
    back = Segment.from_wire(seg.to_wire())
    assert back == seg
    assert seg.to_wire()["start"] == "0.250"  # WhisperLive's clients expect strings with three decimals
    assert "words" not in Segment(start=0, end=1, text=" x").to_wire()


def test_resume_options_round_trip_and_need_uid_and_token():
    opts = protocol.ClientOptions(uid="u1", resume=True, resume_token="abc")
    parsed = protocol.ClientOptions.from_message(opts.to_message())
    assert parsed.resume and parsed.resume_token == "abc" and parsed.uid == "u1"
    assert "resume" not in protocol.ClientOptions(uid="u1").to_message()  # stock clients' options unchanged
    with pytest.raises(protocol.ProtocolError, match="resume_token"):
        protocol.ClientOptions.from_message('{"uid": "u1", "resume": true}')
    with pytest.raises(protocol.ProtocolError, match="resume_token must be a string"):
        protocol.ClientOptions.from_message('{"uid": "u1", "resume": true, "resume_token": 5}')


def test_server_ready_carries_the_token_and_on_resume_the_audio_received():
    ready = protocol.parse_reply(protocol.server_ready("u1", "faster_whisper", "tok", 30.0))
    assert (ready.kind, ready.resume_token, ready.resume_window, ready.resumed) == ("ready", "tok", 30.0, False)
    again = protocol.parse_reply(protocol.server_ready("u1", "faster_whisper", "tok", 30.0, audio_received=4.25))
    assert again.resumed and again.audio_received == 4.25
    assert "resume_token" not in protocol.server_ready("u1", "faster_whisper")


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


def test_with_nothing_in_progress_the_last_completed_segment_is_repeated_open():
    done = [Segment(0.0, 1.0, " One.", completed=True),
            Segment(1.0, 2.5, " Two.", completed=True, words=[Word(1.0, 2.5, " Two.")])]
    sent = json.loads(protocol.open_repeat("u", done, []))
    assert sent == {"uid": "u", "segments": [{"start": "1.000", "end": "2.500", "text": " Two.", "completed": False}]}
    assert protocol.open_repeat("u", done, [Segment(2.5, 3.0, " Thr")]) is None
    assert protocol.open_repeat("u", [], []) is None


def test_room_options_round_trip_and_a_client_without_a_room_sends_none():
    import json as _json

    opts = protocol.ClientOptions.from_message(_json.dumps({"room": "talk", "speaker_name": "Ann", "room_public": True}))
    assert (opts.room, opts.speaker_name, opts.room_public) == ("talk", "Ann", True)
    again = protocol.ClientOptions.from_message(opts.to_message())
    assert (again.room, again.speaker_name, again.room_public) == ("talk", "Ann", True)
    assert "room" not in _json.loads(protocol.ClientOptions().to_message())
    with pytest.raises(protocol.ProtocolError):
        protocol.ClientOptions.from_message(_json.dumps({"room": "no/slash"}))


def test_server_ready_carries_the_room_addresses_and_the_client_reads_them():
    ready = protocol.server_ready("u", "fw", room={"room": "talk", "room_events": "http://h/v1/rooms/talk/events"})
    reply = protocol.parse_reply(ready)
    assert reply.kind == "ready" and reply.room == {"room": "talk", "room_events": "http://h/v1/rooms/talk/events"}
    assert protocol.parse_reply(protocol.server_ready("u", "fw")).room == {}


def test_a_segment_carries_its_speaker_across_the_wire_and_only_when_labelled():
    labelled = Segment(1.0, 2.5, "hello", completed=True, speaker="SPEAKER_01")
    assert protocol.Segment.from_wire(json.loads(json.dumps(labelled.to_wire()))) == labelled
    assert labelled.shifted(1.0).speaker == "SPEAKER_01"
    assert "speaker" not in Segment(0.0, 1.0, "hi").to_wire()


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
