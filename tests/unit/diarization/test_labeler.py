"""The labeler's logic with a fake embedder: a clip's "voice" is the share of its samples at speaker B's level."""

import numpy as np

from whisper_live.diarization.clustering import Speakers
from whisper_live.diarization.labeler import WINDOW, SpeakerLabeler
from whisper_live.protocol import SAMPLE_RATE, Segment, Word

A, B = 0.1, 0.3


class FakeEmbedder:
    def __init__(self):
        self.calls = 0
        self.samples = 0  # embedded, in all

    def embed(self, clip):
        if len(clip) < SAMPLE_RATE // 2:
            return None
        return self.embed_batch([clip])[0]

    def embed_batch(self, clips):
        self.calls += 1
        self.samples += sum(len(clip) for clip in clips)
        out = []
        for clip in clips:
            share = float(np.mean(np.abs(clip) > 0.2))
            vector = np.array([np.cos(share * np.pi / 2), np.sin(share * np.pi / 2)])
            out.append(vector)
        return np.array(out)


def _audio(*parts):
    return np.concatenate([np.full(int(seconds * SAMPLE_RATE), level, dtype=np.float32) for level, seconds in parts])


def _segment(start, end, step=0.5):
    words = [Word(t, min(t + step, end), f" w{i}") for i, t in enumerate(np.arange(start, end - 1e-6, step))]
    return Segment(start, end, "".join(w.word for w in words).strip(), True, words)


def _labeler(names=()):
    return SpeakerLabeler(FakeEmbedder(), Speakers(threshold=0.9), names)


def test_turns_get_labels_in_order_of_appearance():
    audio = _audio((A, 2), (0, 1), (B, 2), (0, 1), (A, 2))
    labeler = _labeler()
    out = labeler.label(audio, 0.0, [_segment(0, 2), _segment(3, 5), _segment(6, 8)])
    assert [s.speaker for s in out] == ["SPEAKER_00", "SPEAKER_01", "SPEAKER_00"]


def test_a_change_without_a_pause_splits_the_segment_at_a_word_boundary():
    audio = _audio((A, 3.0), (B, 3.0))
    out = _labeler().label(audio, 0.0, [_segment(0, 6)])
    assert [s.speaker for s in out] == ["SPEAKER_00", "SPEAKER_01"]
    assert abs(out[0].end - 3.0) <= 0.5 and out[0].end == out[1].start
    assert out[0].words[-1].end <= out[1].words[0].start
    assert out[0].text.split() + out[1].text.split() == _segment(0, 6).text.split()


def test_one_voice_in_a_long_segment_is_not_split():
    out = _labeler().label(_audio((A, 9.0)), 0.0, [_segment(0, 9)])
    assert [s.speaker for s in out] == ["SPEAKER_00"]


def test_silence_gets_no_label_and_starts_no_speaker():
    labeler = _labeler()
    out = labeler.label(_audio((0.0, 3.0)), 0.0, [_segment(0, 3)])
    assert out[0].speaker is None and len(labeler.speakers) == 0


def test_names_label_speakers_in_order_of_appearance():
    audio = _audio((B, 2), (0, 1), (A, 2), (0, 1), (B, 2))
    out = _labeler(["Ann", "Bob"]).label(audio, 0.0, [_segment(0, 2), _segment(3, 5), _segment(6, 8)])
    assert [s.speaker for s in out] == ["Ann", "Bob", "Ann"]


def test_known_voices_are_labelled_by_name_whenever_they_first_speak():
    labeler = _labeler(["Third"])
    labeler.enroll("Bea", _audio((B, 2)))
    audio = _audio((A, 2), (0, 1), (B, 2))
    out = labeler.label(audio, 0.0, [_segment(0, 2), _segment(3, 5)])
    assert [s.speaker for s in out] == ["Third", "Bea"]


def test_provisional_labels_change_nothing():
    labeler = _labeler()
    audio = _audio((A, 2), (B, 2))
    assert labeler.provisional(audio, 0.0, _segment(0, 2)) is None
    labeler.label(audio, 0.0, [_segment(0, 2)])
    assert labeler.provisional(audio, 0.0, _segment(0, 2)) == "SPEAKER_00"
    assert labeler.provisional(audio, 0.0, _segment(2, 4)) is None
    assert len(labeler.speakers) == 1


def test_audio_that_starts_later_in_the_stream():
    audio = _audio((A, 2), (B, 2))
    out = _labeler().label(audio, 10.0, [_segment(10, 12), _segment(12, 14)])
    assert [s.speaker for s in out] == ["SPEAKER_00", "SPEAKER_01"]


def test_the_clients_threshold_and_max_speakers_are_kept():
    speakers = Speakers(threshold=0.99, max_speakers=1)
    labeler = SpeakerLabeler(FakeEmbedder(), speakers)
    assert labeler.speakers is speakers
    audio = _audio((A, 2), (0, 1), (B, 2))
    out = labeler.label(audio, 0.0, [_segment(0, 2), _segment(3, 5)])
    assert [s.speaker for s in out] == ["SPEAKER_00", "SPEAKER_00"]


def test_a_long_segment_is_embedded_once_plus_a_window_per_change():
    """The windows that look for a change also give each piece its voice: no second pass over the audio, only
    one window centred on each change found, which tells on which side of the windows' boundary it is."""
    audio = _audio((A, 3.0), (B, 3.0), (A, 3.0))
    labeler = _labeler()
    out = labeler.label(audio, 0.0, [_segment(0, 9)])
    assert [s.speaker for s in out] == ["SPEAKER_00", "SPEAKER_01", "SPEAKER_00"]
    assert labeler.embedder.calls == 1 + 2
    assert labeler.embedder.samples <= len(audio) + 2 * WINDOW * SAMPLE_RATE


def test_a_change_inside_a_window_is_placed_on_the_side_the_middle_window_says():
    """Windows side by side meet at 1.5 s and 3 s; the middle window at 3 s says on which side the change is."""
    for change, expected in ((3.5, 3.5), (2.5, 2.5)):
        audio = _audio((A, change), (B, 6.0 - change))
        out = _labeler().label(audio, 0.0, [_segment(0, 6)])
        assert [s.speaker for s in out] == ["SPEAKER_00", "SPEAKER_01"]
        assert abs(out[0].end - expected) <= 0.25, (change, out[0].end)
