"""The encoder input rules: audio plus a margin, never under the minimum, never over Whisper's 30 s."""

import pytest

from whisper_live.transcriber import encoder_input
from whisper_live.transcriber.encoder_input import FULL, EncoderInput, EncoderInputs


def test_a_window_is_its_audio_plus_the_margin_between_the_minimum_and_30_s():
    rule = EncoderInput(minimum=10, margin=1)
    assert rule.seconds(2.0) == 10
    assert rule.seconds(9.0) == 10
    assert rule.seconds(9.3) == 11  # whole seconds, rounded up: the margin is never cut short
    assert rule.seconds(17.0) == 18
    assert rule.seconds(29.5) == 30 and rule.seconds(40) == 30
    assert rule.longest_audio == 29


def test_full_is_whispers_own_window_whatever_the_audio():
    assert [FULL.seconds(s) for s in (0.5, 8, 29.9, 30)] == [30, 30, 30, 30]
    assert FULL.longest_audio == 30 and FULL.describe() == "full"


def test_greedy_beam_searched_and_continued_windows_have_their_own_rule():
    rules = EncoderInputs(greedy=EncoderInput(10, 1), beam=EncoderInput(20, 3), continued=EncoderInput(12, 3))
    assert rules.rule(1) is rules.greedy and rules.rule(5) is rules.beam
    assert rules.rule(5, continued=True) is rules.continued
    assert rules.rule(1, continued=True) is rules.greedy  # a greedy final that goes on from context: greedy
    assert rules.rule(1).seconds(4) == 10 and rules.rule(5).seconds(4) == 20
    assert rules.rule(5, continued=True).seconds(4) == 12


@pytest.mark.parametrize("text, rule", [("10+1", EncoderInput(10, 1)), ("15", EncoderInput(15, 0)),
                                        ("full", FULL), (" FULL ", FULL), ("8.5+2.5", EncoderInput(8.5, 2.5))])
def test_rules_parse_from_the_command_line(text, rule):
    assert encoder_input.parse(text) == rule
    assert encoder_input.parse(rule.describe()) == rule


@pytest.mark.parametrize("text", ["", "ten", "10+x", "0+1", "31+0", "10+-1", "10+30"])
def test_bad_rules_are_refused_with_the_reason(text):
    with pytest.raises(ValueError, match="MINIMUM\\+MARGIN|minimum must"):
        encoder_input.parse(text)


def test_the_server_default_differs_from_whispers_30_s_and_full_windows_turn_it_off():
    assert all(rule.minimum < 30 for rule in (encoder_input.SIZED.greedy, encoder_input.SIZED.beam,
                                             encoder_input.SIZED.continued))
    assert encoder_input.FULL_INPUTS == EncoderInputs(FULL, FULL, FULL)
