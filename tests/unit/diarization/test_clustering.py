"""Online clustering on synthetic embeddings: speakers are voices with noise around them."""

import numpy as np
import pytest

from whisper_live.diarization.clustering import Speakers


def _voices(count, dim=192, seed=0):
    rng = np.random.default_rng(seed)
    return [v / np.linalg.norm(v) for v in rng.normal(size=(count, dim))]


def _say(voice, rng, noise=0.5):
    """An utterance's embedding: the voice plus noise (cosine to the voice about 0.7 at noise 0.5)."""
    return voice + rng.normal(size=voice.shape) * noise / np.sqrt(len(voice))


def test_a_new_speaker_gets_the_next_label_when_they_first_speak():
    a, b, c = _voices(3)
    rng = np.random.default_rng(1)
    speakers = Speakers(threshold=0.5)
    order = [a, a, b, a, c, b, c, a]
    labels = [speakers.assign(_say(v, rng), seconds=2.0) for v in order]
    assert labels == [0, 0, 1, 0, 2, 1, 2, 0]
    assert len(speakers) == 3


def test_one_speaker_alone_keeps_one_label():
    (a,) = _voices(1)
    rng = np.random.default_rng(2)
    speakers = Speakers(threshold=0.5)
    labels = {speakers.assign(_say(a, rng, noise=0.8), seconds=rng.uniform(0.6, 5.0)) for _ in range(200)}
    assert labels == {0}


def test_a_label_never_changes_meaning_when_centroids_move():
    a, b = _voices(2)
    rng = np.random.default_rng(3)
    speakers = Speakers(threshold=0.5)
    assert speakers.assign(a, 2.0) == 0
    assert speakers.assign(b, 2.0) == 1
    # many utterances of a drift speaker 0's centroid; b's label stays 1 and a new voice gets 2
    for _ in range(50):
        assert speakers.assign(_say(a, rng), 3.0) == 0
    assert speakers.assign(_say(b, rng), 2.0) == 1
    (c,) = _voices(1, seed=9)
    assert speakers.assign(c, 2.0) == 2


def test_max_speakers_sends_a_new_voice_to_the_closest_speaker():
    a, b, c = _voices(3)
    speakers = Speakers(threshold=0.7, max_speakers=2)
    speakers.assign(a, 2.0)
    speakers.assign(b, 2.0)
    leaning_to_b = c + 0.6 * b  # cosine about 0.5 to b, about 0 to a: below the threshold for both
    assert speakers.assign(leaning_to_b, 5.0) == 1
    assert speakers.assign(c, 5.0) in (0, 1)
    assert len(speakers) == 2
    assert Speakers(threshold=0.7, max_speakers=3).assign(c, 5.0) == 0


def test_threshold_is_a_cosine_similarity():
    a = np.zeros(4)
    a[0] = 1
    near = np.array([0.8, 0.6, 0, 0])  # cosine 0.8 to a
    assert Speakers(threshold=0.75).assign(a, 2) == 0
    strict, loose = Speakers(threshold=0.85), Speakers(threshold=0.75)
    for speakers in (strict, loose):
        speakers.assign(a, 2.0)
    assert strict.assign(near, 2.0) == 1
    assert loose.assign(near, 2.0) == 0


def test_a_short_clip_never_starts_a_speaker():
    a, b = _voices(2)
    speakers = Speakers(threshold=0.5, min_new_seconds=1.0)
    speakers.assign(a, 2.0)
    assert speakers.assign(b, 0.6) == 0
    assert len(speakers) == 1
    assert speakers.assign(b, 1.2) == 1


def test_peek_changes_nothing():
    a, b = _voices(2)
    speakers = Speakers(threshold=0.5)
    assert speakers.peek(a) is None
    speakers.assign(a, 2.0)
    assert speakers.peek(a) == 0
    assert speakers.peek(b) is None
    assert len(speakers) == 1


def test_enrolled_speakers_take_the_first_numbers():
    a, b, c = _voices(3)
    speakers = Speakers(threshold=0.5)
    assert speakers.enroll(b) == 0
    assert speakers.enroll(a) == 1
    assert speakers.assign(a, 2.0) == 1
    assert speakers.assign(c, 2.0) == 2


def test_max_speakers_must_be_positive():
    with pytest.raises(ValueError):
        Speakers(max_speakers=0)
