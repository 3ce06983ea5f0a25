"""What each bench client streams (whisper_live/bench/plan.py)."""

from tests.unit.bench.fake_server import noise
from whisper_live.bench import plan
from whisper_live.bench.audio import Speech


def test_speakers_take_turns_over_several_audio_files():
    first, second = Speech(noise(1.0), "alpha", "first"), Speech(noise(2.0), "alpha bravo", "second")
    plans = plan.plan_clients([first, second], 3, 1, lambda i: noise(2.0), 0.0, seed=0)
    assert [(p.name, p.source, p.reference) for p in plans] == [
        ("s0", "first", "alpha"), ("s1", "second", "alpha bravo"), ("s2", "first", "alpha"), ("q0", "silence", None)]
    assert len(plans[1].audio) == 32000 and not plans[3].speaking


def test_a_publisher_names_its_room_in_the_url_and_a_resume_its_uid():
    settings = plan.RunSettings(host="127.0.0.1", port=9090)
    assert settings.connect_uri() == "ws://127.0.0.1:9090"
    assert settings.connect_uri("bench-s0") == "ws://127.0.0.1:9090/?uid=bench-s0"
    settings.room = "meeting"
    assert settings.connect_uri() == "ws://127.0.0.1:9090/?room=meeting"
    assert settings.connect_uri("bench-s0") == "ws://127.0.0.1:9090/?room=meeting&uid=bench-s0"
