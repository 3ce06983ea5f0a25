"""Conversations of speakers taking turns, and the scoring of speaker labels against their speech time."""

from pathlib import Path

import numpy as np
import pytest

from whisper_live.diarization import conversations
from whisper_live.diarization.conversations import Conversation, Turn, attribution, speech_of
from whisper_live.protocol import SAMPLE_RATE

TWO = [Turn("ann", 0.0, 4.0), Turn("bob", 5.0, 10.0)]


def _talk(turns, seconds=10.0):
    return Conversation(np.zeros(int(seconds * SAMPLE_RATE), np.float32), turns)


def test_speech_time_is_what_the_vad_hears_inside_each_turn():
    heard = []

    def detect(audio):  # speech from 0.5 s to 1 s before the clip's end, whatever the clip
        heard.append(len(audio) / SAMPLE_RATE)
        return [(0.5, len(audio) / SAMPLE_RATE - 1.0)]

    speech = speech_of(_talk(TWO), detect)
    assert heard == [4.0, 5.0]  # each turn's audio on its own
    assert speech == [Turn("ann", 0.5, 3.0), Turn("bob", 5.5, 9.0)]


def test_speech_never_reaches_past_its_turn():
    speech = speech_of(_talk(TWO), lambda audio: [(0.0, 1.0), (3.9, 9.0)])
    assert speech == [Turn("ann", 0.0, 1.0), Turn("ann", 3.9, 4.0), Turn("bob", 5.0, 6.0), Turn("bob", 8.9, 10.0)]


def test_silence_under_no_segment_does_not_count_but_speech_under_none_is_wrong():
    speech = [Turn("ann", 0.5, 3.5), Turn("bob", 5.5, 9.5)]  # 7 s of speech in 10 s of turns
    # segments covering the speech exactly, but none over bob's last second
    found = attribution(speech, [(0.5, 3.5, "A"), (5.5, 8.5, "B")])
    assert found.right == pytest.approx(6 / 7, abs=0.01) and found.covered == pytest.approx(6 / 7, abs=0.01)
    assert found.mapping == {"A": "ann", "B": "bob"} and found.speech_s == pytest.approx(7.0, abs=0.02)
    assert found.labelled_right == pytest.approx(1.0)
    # an unlabelled segment covers nothing
    assert attribution(speech, [(0.5, 3.5, "A"), (5.5, 9.5, None)]).right == pytest.approx(3 / 7, abs=0.01)


def test_the_mapping_is_the_best_one_to_one():
    speech = [Turn("ann", 0.0, 4.0), Turn("bob", 4.0, 10.0)]
    # one label for everything: it maps to bob (more of his time), ann's time is wrong
    one = attribution(speech, [(0.0, 10.0, "A")])
    assert one.mapping == {"A": "bob"} and one.right == pytest.approx(0.6, abs=0.01) and one.covered == 1.0
    # three labels for two speakers: the third maps to no one and its time is wrong
    three = attribution(speech, [(0.0, 4.0, "X"), (4.0, 8.0, "Y"), (8.0, 10.0, "Z")])
    assert three.mapping == {"X": "ann", "Y": "bob"} and three.right == pytest.approx(0.8, abs=0.01)
    assert three.labelled_right == pytest.approx(0.8, abs=0.01)


def test_a_given_mapping_is_used_as_is():
    speech = [Turn("ann", 0.0, 4.0), Turn("bob", 4.0, 10.0)]
    found = attribution(speech, [(0.0, 4.0, "A"), (4.0, 10.0, "B")], mapping={"A": "bob", "B": "ann"})
    assert found.right == 0.0 and found.covered == 1.0


def test_no_labels_at_all_attribute_nothing():
    found = attribution(TWO, [(0.0, 10.0, None)])
    assert (found.right, found.covered, found.mapping) == (0.0, 0.0, {})


def test_turns_of_whole_clips_carry_their_reference(tmp_path):
    folder = tmp_path / "en" / "ljspeech"
    folder.mkdir(parents=True)
    lengths = {"LJ1.flac": 3.0, "LJ2.flac": 1.0, "LJ3.flac": 2.0, "LJ4.flac": 12.0}
    for name in lengths:
        (folder / name).touch()

    def load(path):
        return np.full(int(lengths[Path(path).name] * SAMPLE_RATE), 0.1, np.float32)

    def reference(path):
        return f"text of {path.stem}"

    cut = conversations.speaker_turns(tmp_path, "lj", load, reference=reference)
    # LJ1 alone; LJ2 and LJ3 joined; LJ4 cut in 8 s and 4 s at MAX_TURN, no text known for its pieces
    assert [p.text for p in cut] == ["text of LJ1", "text of LJ2 text of LJ3", None, None]
    whole = conversations.speaker_turns(tmp_path, "lj", load, max_turn=0, reference=reference)
    assert [p.text for p in whole] == ["text of LJ1", "text of LJ2 text of LJ3", "text of LJ4"]
    assert len(whole[-1].audio) == 12 * SAMPLE_RATE
    talk = conversations.build(tmp_path, ["lj"], 3, seed=0, load=load, max_turn=0, reference=reference)
    assert sorted(t.text for t in talk.turns) == sorted(p.text for p in whole)
    assert talk.reference == " ".join(t.text for t in talk.turns)
    assert conversations.build(tmp_path, ["lj"], 3, seed=0, load=load, reference=reference).reference is None
