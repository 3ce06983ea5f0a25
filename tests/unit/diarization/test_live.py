"""A live session's speaker labels: its labeler follows the client's options; commits get labelled in place,
partials provisionally."""

import numpy as np

from whisper_live.diarization import live
from whisper_live.protocol import ClientOptions, SAMPLE_RATE, Segment, Word
from whisper_live.streaming.windows import Update


class LevelEmbedder:
    """A clip's "voice" is its loudest level: 0.1 and 0.3 are two speakers."""

    def embed(self, clip):
        return None if len(clip) < SAMPLE_RATE // 2 else self.embed_batch([clip])[0]

    def embed_batch(self, clips):
        return np.array([[1.0, 0.0] if np.max(np.abs(c)) < 0.2 else [0.0, 1.0] for c in clips])


def _segment(start, end):
    words = [Word(t, t + 0.5, f" w{i}") for i, t in enumerate(np.arange(start, end - 1e-6, 0.5))]
    return Segment(start, end, "".join(w.word for w in words).strip(), True, words)


def _options(**fields):
    return ClientOptions.from_message(ClientOptions(uid="u", enable_diarization=True, **fields).to_message())


def test_the_labeler_follows_the_clients_options():
    labeler = live.session_labeler(_options(max_speakers=2, diarization_threshold=0.7,
                                            speaker_names=["Ann", "Bob"]), LevelEmbedder())
    assert (labeler.speakers.threshold, labeler.speakers.max_speakers, labeler.names) == (0.7, 2, ["Ann", "Bob"])


def test_commits_are_labelled_and_split_in_the_streams_list():
    labeler = live.session_labeler(_options(speaker_names=["Ann", "Bob"]), LevelEmbedder())
    earlier = _segment(0.0, 2.0)
    new = _segment(10.0, 16.0)  # Ann for 3 s, then Bob without a pause
    completed = [earlier, new]
    update = Update(completed=[new])
    audio = np.concatenate([np.full(3 * SAMPLE_RATE, 0.1), np.full(3 * SAMPLE_RATE, 0.3)]).astype(np.float32)
    live.label_update(labeler, completed, update, audio, 10.0)
    assert completed[0] is earlier and earlier.speaker is None
    assert [s.speaker for s in completed[1:]] == ["Ann", "Bob"] and completed[1:] == update.completed
    assert abs(completed[1].end - 13.0) <= 0.5


def test_nothing_committed_changes_nothing():
    completed = [_segment(0.0, 2.0)]
    update = Update()
    live.label_update(live.session_labeler(_options(), LevelEmbedder()), completed, update, np.zeros(1), 0.0)
    assert len(completed) == 1 and update.completed == []


def test_partials_going_on_from_labelled_speech_carry_its_speaker_marked_provisional():
    labeler = live.session_labeler(_options(speaker_names=["Ann", "Bob"]), LevelEmbedder())
    completed, partial = [], [Segment(2.0, 3.0, "so far")]
    live.label_update(labeler, completed, Update(partial=partial), np.zeros(1), 0.0)
    assert partial[0].speaker is None and not partial[0].speaker_provisional  # nobody heard yet
    new = _segment(0.0, 2.0)
    completed.append(new)
    # the first partial goes on from Ann's segment; the second starts after a pause of 0.5 s
    partial = [Segment(2.1, 3.0, "goes on"), Segment(3.2, 4.0, "still"), Segment(4.5, 5.0, "after a pause")]
    live.label_update(labeler, completed, Update(completed=[new], partial=partial),
                      np.full(2 * SAMPLE_RATE, 0.3, np.float32), 0.0)
    assert completed[0].speaker == "Ann" and not completed[0].speaker_provisional
    assert [(s.speaker, s.speaker_provisional) for s in partial] == [("Ann", True), ("Ann", True), (None, False)]
    assert partial[0].to_wire()["speaker_provisional"] is True and "speaker_provisional" not in completed[0].to_wire()
    # a later update without commits: the partial after the pause stays unlabelled
    later = [Segment(2.6, 3.5, "after a pause")]
    live.label_update(labeler, completed, Update(partial=later), np.zeros(1), 0.0)
    assert later[0].speaker is None


def test_word_times_the_client_did_not_ask_for_are_dropped_once_labelled():
    labeler = live.session_labeler(_options(speaker_names=["Ann", "Bob"]), LevelEmbedder())
    new = _segment(10.0, 16.0)
    partial = [Segment(16.2, 17.0, " w", False, [Word(16.2, 17.0, " w")])]
    completed = [new]
    update = Update(completed=[new], partial=partial)
    audio = np.concatenate([np.full(3 * SAMPLE_RATE, 0.1), np.full(3 * SAMPLE_RATE, 0.3)]).astype(np.float32)
    live.label_update(labeler, completed, update, audio, 10.0, keep_words=False)
    assert [s.speaker for s in completed] == ["Ann", "Bob"]  # (split at a word: the words were there)
    assert all(s.words is None for s in completed + update.completed + partial)
    kept = [_segment(10.0, 16.0)]
    live.label_update(labeler, kept, Update(completed=list(kept)), audio, 10.0)
    assert all(s.words for s in kept)  # the client asked for them (keep_words): they stay
