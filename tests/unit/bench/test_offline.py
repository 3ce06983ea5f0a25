"""The offline WER the bench compares with (whisper_live/bench/offline.py)."""

import pytest

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


def test_runs_get_the_offline_wer_beside_their_own_or_none_when_it_is_skipped(monkeypatch):
    from types import SimpleNamespace

    from whisper_live.bench import offline as offline_mod

    speeches = [Speech(noise(1.0), "one two three four", "a"), Speech(noise(1.0), "five six", "b")]

    def runs():
        return [{"clients": 2, "wer": 0.2, "wer_by_audio": [{"audio": "b"}],
                 "per_client": [{"audio": "a", "speaking": True}, {"audio": "b", "speaking": True}]}]

    args = SimpleNamespace(offline=True, quiet=True, offline_model=None, model=None, offline_compute_type="int8")
    monkeypatch.setattr(offline_mod, "offline_wers", lambda *a: {"per_audio": [
        {"audio": "a", "wer": 0.0, "text": "one two three four"}, {"audio": "b", "wer": 0.5, "text": "five"}]})
    (run,) = done = runs()
    assert offline_mod.beside_runs(args, speeches, done)["per_audio"][1]["text"] == "five"
    assert run["wer_offline"] == round(1 / 6, 4) and run["wer_minus_offline"] == round(0.2 - 1 / 6, 4)
    assert run["wer_vs_offline"] == round(0.2 / round(1 / 6, 4) - 1, 4) and run["wer_by_audio"][0]["wer_offline"] == 0.5
    (run,) = done = runs()
    skipped = SimpleNamespace(**{**vars(args), "offline": False})
    assert offline_mod.beside_runs(skipped, speeches, done) == {"skipped": "--no-offline"}
    assert run["wer_offline"] is None and run["wer_vs_offline"] is None and run["wer_minus_offline"] is None



def test_with_offline_greedy_each_run_gets_the_greedy_wer_of_its_speakers_too(monkeypatch):
    from types import SimpleNamespace

    from whisper_live.bench import offline as offline_mod

    speeches = [Speech(noise(1.0), "one two three four", "a"), Speech(noise(1.0), "five six", "b")]
    texts = {5: ["one two three four", "five six"], 1: ["one two three", "five"]}

    def transcribe(found, model, compute_type, beam_size=5):
        return {"beam_size": beam_size, "per_audio": [{"audio": s.source, "wer": 0.0, "text": t}
                                                      for s, t in zip(found, texts[beam_size])]}

    monkeypatch.setattr(offline_mod, "offline_wers", transcribe)
    args = SimpleNamespace(offline=True, quiet=True, offline_model=None, model=None, offline_compute_type="int8",
                           offline_greedy=True)
    run = {"clients": 1, "wer": 0.1, "per_client": [{"audio": "b", "speaking": True}]}
    offline = offline_mod.beside_runs(args, speeches, [run])
    assert offline["greedy"]["beam_size"] == 1
    assert run["wer_offline"] == 0.0 and run["wer_offline_greedy"] == 0.5  # "five" for "five six"


@pytest.mark.parametrize("codec, kbps", [("opus", 24), ("opus", 12), ("mulaw", 24)])
def test_audio_through_a_codec_is_what_the_server_decodes_from_what_the_client_encodes(codec, kbps):
    import numpy as np

    from whisper_live.bench.offline import through_codec

    t = np.arange(3 * 16000) / 16000
    tone = (0.3 * np.sin(2 * np.pi * 440 * t)).astype(np.float32)
    out = through_codec(tone, codec, kbps)
    assert out.dtype == np.float32 and abs(len(out) - len(tone)) <= 0.12 * 16000
    middle = slice(8000, 40000)
    best = max(float(np.corrcoef(tone[middle], out[middle.start + lag:middle.stop + lag])[0, 1])
               for lag in range(-400, 401, 4) if middle.start + lag >= 0 and middle.stop + lag <= len(out))
    assert best > 0.9  # the same tone, up to the codec's delay
