"""The offline WER the bench compares with (whisper_live/bench/offline.py)."""

from tests.unit.bench.fake_server import noise
from whisper_live.bench.audio import Speech


def test_offline_wer_is_weighted_as_the_speakers_were_spread():
    from whisper_live.bench.offline import offline_wer_for_clients

    speeches = [Speech(noise(1.0), "one two three four", "a"), Speech(noise(1.0), "five six", "b")]
    offline = {"per_audio": [{"audio": "a", "text": "one two three four"}, {"audio": "b", "text": "five"}]}
    assert offline_wer_for_clients(offline, speeches, ["a"]) == 0.0  # only one speaker, on audio a
    assert offline_wer_for_clients(offline, speeches, ["a", "b"]) == round(1 / 6, 4)
    assert offline_wer_for_clients(offline, speeches, ["a", "b", "a"]) == 0.1  # one error in 10 words
    assert offline_wer_for_clients(offline, speeches, []) is None
    assert offline_wer_for_clients({"skipped": "--no-offline"}, speeches, ["a"]) is None
