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
