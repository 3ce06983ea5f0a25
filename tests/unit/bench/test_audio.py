"""The bench's speech (whisper_live/bench/audio.py): loops, a silent client's phrase, late starts, and shared
folders joined into one stream (these need ../shared/audio)."""

import numpy as np
import pytest

from tests.conftest import SHARED_AUDIO, shared_manifest
from tests.unit.bench.fake_server import noise
from whisper_live.bench.audio import Speech


def test_loops_repeat_the_audio_its_reference_and_its_utterances():
    from whisper_live.bench import audio as audio_mod

    once = Speech(noise(2.0), "alpha bravo", "clip", "", [(0.0, 0.9, "alpha"), (1.0, 1.9, "bravo")])
    looped = audio_mod.repeat(once, 3, gap=0.5)
    assert looped.duration == pytest.approx(3 * 2.0 + 2 * 0.5)
    assert np.array_equal(looped.audio[int(2.5 * 16000):int(4.5 * 16000)], once.audio)
    assert not looped.audio[32000:40000].any()  # the pause between loops is silence
    assert looped.reference == "alpha bravo alpha bravo alpha bravo"
    assert looped.segments[2:4] == [(2.5, pytest.approx(3.4), "alpha"), (3.5, pytest.approx(4.4), "bravo")]
    assert "3 times" in looped.note
    assert audio_mod.repeat(once, 1) is once


def test_a_mostly_silent_client_says_its_phrase_at_its_moment_in_each_period():
    from whisper_live.bench import audio as audio_mod

    speech = Speech(noise(6.0), "alpha bravo", "clip", "", [(0.0, 0.5, "alpha"), (1.0, 3.0, "bravo")])
    phrase = audio_mod.phrase_of(speech)
    assert np.array_equal(phrase, speech.audio[16000:48000])  # the first utterance of 1.5-6 s
    quiet = np.zeros(18 * 16000, np.float32)
    said = audio_mod.with_phrase(quiet, phrase, every=8.0, first=1.0)
    heard = np.flatnonzero(said)
    assert heard[0] == 16000 and heard[-1] < 11 * 16000  # at 1 s and 9 s; at 17 s it would not fit
    assert np.array_equal(said[9 * 16000:11 * 16000], phrase) and not said[3 * 16000:9 * 16000].any()
    assert not quiet.any()  # the background is left as it was


def test_a_late_start_puts_silence_before_the_audio_and_moves_the_utterances():
    from whisper_live.bench.audio import Speech
    from whisper_live.bench.audio import late

    original = Speech(audio=np.ones(16000, dtype=np.float32), reference="a b", source="x",
                      segments=[(0.0, 0.5, "a"), (0.5, 1.0, "b")])
    moved = late(original, 0.25)
    assert len(moved.audio) == 16000 + 4000
    assert not moved.audio[:4000].any() and moved.audio[4000:].all()
    assert moved.segments == [(0.25, 0.75, "a"), (0.75, 1.25, "b")]
    assert moved.reference == "a b" and moved.source == "x"
    assert late(original, 0.0) is original


def test_several_starts_are_separate_audio_named_by_their_lead():
    from whisper_live.bench.audio import START_STEP, Speech, with_starts

    a = Speech(audio=np.ones(1600, dtype=np.float32), reference="a", source="a.flac")
    b = Speech(audio=np.ones(3200, dtype=np.float32), reference="b", source="b.flac")
    assert with_starts([a, b], 1) == [a, b]
    first_a, first_b, late_a, late_b = with_starts([a, b], 2)
    assert (first_a, first_b) == (a, b)
    assert (late_a.source, late_b.source) == (f"a.flac +{START_STEP:.3f} s", f"b.flac +{START_STEP:.3f} s")
    lead = int(round(START_STEP * 16000))
    assert len(late_b.audio) == 3200 + lead and not late_b.audio[:lead].any() and late_b.reference == "b"


def test_the_bench_joins_a_shared_folder_and_cuts_it_at_whole_clips():
    from whisper_live.bench import audio as audio_mod

    shared_manifest()
    speech = audio_mod.load_speech("en/librispeech")
    assert speech.source == "en/librispeech" and len(speech.segments) == 15
    assert speech.reference == " ".join(text for _, _, text in speech.segments)
    short = audio_mod.cut(speech, 30.0)
    kept = [s for s in speech.segments if s[1] <= 30.0]
    assert short.reference == " ".join(text for _, _, text in kept) and short.duration <= 30.0
    assert short.duration >= kept[-1][1]


def test_mixed_names_four_sets_that_exist():
    from whisper_live.bench import audio as audio_mod

    shared_manifest()
    for name in audio_mod.MIXED:
        assert (SHARED_AUDIO / name).exists(), name
