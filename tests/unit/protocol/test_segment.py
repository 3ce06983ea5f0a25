"""A piece of transcript on the wire (whisper_live/protocol/segment.py): segments and words as the wire
carries them, with a speaker label, and moved in time."""

import json

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


def test_a_segment_carries_its_speaker_across_the_wire_and_only_when_labelled():
    labelled = Segment(1.0, 2.5, "hello", completed=True, speaker="SPEAKER_01")
    assert Segment.from_wire(json.loads(json.dumps(labelled.to_wire()))) == labelled
    assert labelled.shifted(1.0).speaker == "SPEAKER_01"
    assert "speaker" not in Segment(0.0, 1.0, "hi").to_wire()


def test_a_provisional_speaker_is_marked_on_the_wire_and_kept_when_moved():
    guess = Segment(3.0, 4.0, "so far", speaker="SPEAKER_00", speaker_provisional=True)
    wire = guess.to_wire()
    assert wire["speaker"] == "SPEAKER_00" and wire["speaker_provisional"] is True
    assert Segment.from_wire(json.loads(json.dumps(wire))) == guess
    assert guess.shifted(1.0).speaker_provisional
    assert "speaker_provisional" not in Segment(3.0, 4.0, "so far", speaker_provisional=True).to_wire()
