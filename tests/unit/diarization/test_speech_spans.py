"""Labelled segments widened to the speech they were heard in (whisper_live/diarization/speech_spans.py)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from whisper_live.diarization.speech_spans import SpeechSpans, speech_regions


@dataclass
class Piece:
    start: float
    end: float
    speaker: str
    text: str = ""


def _fitted(regions, pieces):
    spans = SpeechSpans(regions)
    out = [ready for piece in pieces for ready in spans.add(piece)]
    assert len(out) == len(pieces) - 1  # each given back once the next one is known
    return [(p.start, p.end, p.speaker) for p in out + spans.finish()]


def test_a_segment_covers_the_whole_stretch_of_speech_it_was_heard_in():
    assert _fitted([(1.0, 5.0)], [Piece(1.3, 4.6, "A")]) == [(1.0, 5.0, "A")]


def test_a_gap_inside_one_stretch_of_speech_goes_to_the_speaker_on_both_sides():
    assert _fitted([(0.0, 9.0)], [Piece(0.2, 4.0, "A"), Piece(4.6, 8.8, "A")]) == \
        [(0.0, 4.6, "A"), (4.6, 9.0, "A")]


def test_two_voices_in_one_stretch_share_the_gap_at_its_middle():
    assert _fitted([(0.0, 9.0)], [Piece(0.2, 4.0, "A"), Piece(5.0, 8.8, "B")]) == \
        [(0.0, 4.5, "A"), (4.5, 9.0, "B")]


def test_a_pause_between_turns_stays_unlabelled_and_each_turn_takes_its_own_speech():
    regions = [(0.0, 4.0), (4.8, 9.0)]
    assert _fitted(regions, [Piece(0.3, 3.5, "A"), Piece(5.2, 8.5, "B")]) == [(0.0, 4.0, "A"), (4.8, 9.0, "B")]


def test_times_in_silence_stay_and_speech_no_segment_touches_stays_unlabelled():
    regions = [(0.0, 2.0), (3.0, 6.0), (8.0, 9.0)]
    # the first piece starts and ends in silence; the speech from 8 s on was left out by the transcript
    assert _fitted(regions, [Piece(2.2, 2.8, "A"), Piece(3.5, 7.0, "B")]) == [(2.2, 2.8, "A"), (3.0, 7.0, "B")]


def test_pieces_split_at_a_change_of_voice_keep_their_shared_boundary():
    regions = [(0.0, 10.0)]
    assert _fitted(regions, [Piece(0.5, 4.2, "A"), Piece(4.2, 9.5, "B")]) == [(0.0, 4.2, "A"), (4.2, 10.0, "B")]


def test_overlapping_times_are_left_as_they_were():
    assert _fitted([(0.0, 10.0)], [Piece(0.5, 5.0, "A"), Piece(4.0, 9.0, "B")]) == \
        [(0.0, 5.0, "A"), (4.0, 10.0, "B")]


def test_silence_and_quiet_noise_hold_no_speech_regions():
    rng = np.random.default_rng(0)
    audio = np.concatenate([np.zeros(16000, np.float32), (rng.standard_normal(32000) * 1e-3).astype(np.float32)])
    assert speech_regions(audio) == []
