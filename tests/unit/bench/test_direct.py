"""The direct bench (whisper_live/bench/direct.py): every due window is transcribed at once, and the
transcript is the commits; several starts combined; its command line."""

import time

import numpy as np
import pytest
import soundfile

from tests.fakes import EnergyVad, ScriptedTranscriber, silence, speech
from whisper_live.bench import direct
from whisper_live.bench.direct import feed
from whisper_live.streaming import StreamConfig, Stream


def test_feed_transcribes_every_window_when_due_and_keeps_every_word():
    model = ScriptedTranscriber()
    stream = Stream(StreamConfig(), EnergyVad())
    audio = np.concatenate([speech([1, 2, 3]), silence(1.0), speech([4, 5, 6, 7, 8, 9]), silence(1.0)])
    result = feed(stream, lambda request: model.transcribe_batch([request])[0], audio)
    assert result["text"].split() == [f"w{k}" for k in range(1, 10)]
    windows = result["windows"]
    assert windows["final"]["windows"] == 2  # one per utterance
    assert windows["partial"]["windows"] >= 2  # in-progress text while each was spoken
    assert sum(w["windows"] for w in windows.values()) == len(model.calls)
    assert stream.finished


def test_each_commit_lag_is_the_audio_fed_after_the_segment_before_it_was_committed():
    audio = np.concatenate([speech([1, 2, 3]), silence(1.0), speech([4, 5, 6, 7, 8, 9]), silence(1.0)])
    lags = {}
    for name, schedule in (("adaptive", StreamConfig.endpoint_schedule), ("flat", ((float("inf"), 1.0),))):
        model = ScriptedTranscriber()
        stream = Stream(StreamConfig(endpoint_schedule=schedule), EnergyVad())
        lags[name] = feed(stream, lambda request: model.transcribe_batch([request])[0], audio)["lags"]
    # each final waits for the pause that ends its utterance (500 ms under 1.75 s of speech, 300 ms for the 3 s
    # one) and the 256 ms frame that confirms it
    first, second = lags["adaptive"]
    assert 0.5 <= first < 0.8 and 0.3 <= second < first
    assert lags["flat"][1] >= 0.5  # every utterance waits for the full pause


def test_the_stream_counts_time_in_audio_fed_so_the_models_speed_changes_nothing():
    # phrases without a pause long enough to end the utterance: with beam-searched finals, agreed text is
    # decoded again as a final while its audio is young (refine_agreed_within), counted in audio fed
    from tests.unit.session_driver import phrases_without_an_end
    from whisper_live.bench.direct import new_stream

    model = ScriptedTranscriber()
    config = StreamConfig(final_beam_size=5, final_context=8.0, endpoint_schedule=((float("inf"), 1.0),))
    stream = new_stream(config, EnergyVad())
    clock = []

    def transcribe(request):
        time.sleep(0.01)  # the model's time passes, the stream's clock does not move
        clock.append((stream._clock(), stream.received / 16000))
        return model.transcribe_batch([request])[0]

    result = feed(stream, transcribe, phrases_without_an_end())
    assert all(now == fed for now, fed in clock) and len(clock) == len(model.calls)
    assert result["windows"]["final"]["windows"] > 2  # agreed text was decoded again


def test_feed_ends_an_utterance_still_going_at_the_end_of_the_audio():
    model = ScriptedTranscriber()
    stream = Stream(StreamConfig(), EnergyVad())
    result = feed(stream, lambda request: model.transcribe_batch([request])[0], speech([1, 2, 3, 4]))
    assert result["text"].split() == ["w1", "w2", "w3", "w4"]
    assert stream.finished


def _row(wer, partial, final, text):
    return {"audio": "x", "seconds": 1.0, "words": 10, "wer": wer, "text": text,
            "windows": {"partial": {"windows": partial, "model_s": 1.0}, "final": {"windows": final, "model_s": 0.5}}}


def test_several_starts_give_the_mean_with_each_start_and_the_first_transcript():
    from whisper_live.bench.audio import Speech
    from whisper_live.bench.direct import combine

    speech = Speech(audio=np.zeros(16000, dtype=np.float32), reference="r", source="x")
    runs = [{"rows": [_row(0.1, 10, 2, "first")], "offline": {"per_audio": [{"wer": 0.1}]}},
            {"rows": [_row(0.2, 12, 3, "second")], "offline": {"per_audio": [{"wer": 0.05}]}}]
    (row,) = combine(runs, [speech])
    assert row["wer"] == 0.15 and row["wer_runs"] == [0.1, 0.2]
    assert row["offline_wer"] == 0.075 and row["offline_wer_runs"] == [0.1, 0.05]
    assert row["relative_to_offline"] == 1.0
    assert row["windows"] == {"partial": {"windows": 11.0, "model_s": 1.0}, "final": {"windows": 2.5, "model_s": 0.5}}
    assert row["text"] == "first"


def test_one_start_gives_that_start_as_it_was():
    from whisper_live.bench.audio import Speech
    from whisper_live.bench.direct import combine

    speech = Speech(audio=np.zeros(16000, dtype=np.float32), reference="r", source="x")
    (row,) = combine([{"rows": [_row(0.1, 10, 2, "only")], "offline": None}], [speech])
    assert row["wer"] == 0.1 and "wer_runs" not in row and "offline_wer" not in row
    assert row["windows"]["partial"] == {"windows": 10, "model_s": 1.0}


def test_several_starts_pool_their_commit_lags():
    from whisper_live.bench.audio import Speech
    from whisper_live.bench.direct import combine

    speech_ = Speech(audio=np.zeros(16000, dtype=np.float32), reference="r", source="x")
    first, second = _row(0.1, 1, 1, "a"), _row(0.1, 1, 1, "b")
    first["lags"], second["lags"] = [0.2, 0.4], [0.3, 2.5]
    (row,) = combine([{"rows": [first], "offline": None}, {"rows": [second], "offline": None}], [speech_])
    assert row["commit_lag"]["max"] == 2.5 and row["commit_lag"]["p50"] == 0.35


def test_the_endpoint_schedule_is_read_as_length_fraction_pairs():
    from whisper_live.bench.direct import parse_args

    assert parse_args(["--endpoint_schedule", "2:1,6:0.6,inf:0.3"]).endpoint_schedule == \
        ((2.0, 1.0), (6.0, 0.6), (float("inf"), 0.3))
    assert parse_args([]).endpoint_schedule == StreamConfig.endpoint_schedule
    for bad in ("2", "6:1,2:0.5", "2:0", "a:b"):
        with pytest.raises(SystemExit):
            parse_args(["--endpoint_schedule", bad])


def test_starts_must_be_at_least_one():
    from whisper_live.bench.direct import parse_args

    assert parse_args(["--starts", "3"]).starts == 3
    with pytest.raises(SystemExit):
        parse_args(["--starts", "0"])


def test_direct_bench_refuses_audio_without_a_reference(tmp_path, capsys):
    wav = tmp_path / "noref.wav"
    soundfile.write(str(wav), np.zeros(16000, dtype=np.float32), 16000)
    assert direct.main(["--audio", str(wav), "--no-offline"]) == 2
    assert "no reference" in capsys.readouterr().err


def test_feed_gives_the_stream_frame_samples_at_a_time():
    class Counting(Stream):
        def add_audio(self, samples):
            pieces.append(len(samples))
            super().add_audio(samples)

    pieces: list = []
    model = ScriptedTranscriber()
    audio = np.concatenate([speech([1, 2, 3]), silence(1.0)])
    result = feed(Counting(StreamConfig(), EnergyVad()), lambda request: model.transcribe_batch([request])[0],
                  audio, frame_samples=960)
    assert result["text"].split() == ["w1", "w2", "w3"]
    assert pieces[:-1] == [960] * (len(pieces) - 1) and sum(pieces) == len(audio)


def test_the_codec_and_frame_size_options(tmp_path):
    args = direct.parse_args(["--codec", "opus", "--bitrate", "12", "--frame-samples", "960"])
    assert (args.codec, args.bitrate, args.frame_samples) == ("opus", 12, 960)
    assert direct.parse_args([]).frame_samples == direct.FRAME_SAMPLES and direct.parse_args([]).codec is None
    with pytest.raises(SystemExit):
        direct.parse_args(["--frame-samples", "0"])
    # with --codec, the audio streamed is what the server's decoder gives back from the client's encoder
    wav = tmp_path / "tone.wav"
    tone = (0.3 * np.sin(2 * np.pi * 440 * np.arange(16000) / 16000)).astype(np.float32)
    soundfile.write(str(wav), tone, 16000)
    (tmp_path / "tone.txt").write_text("a tone")
    plain, = direct.load_speeches(direct.parse_args(["--audio", str(wav)]))
    coded, = direct.load_speeches(direct.parse_args(["--audio", str(wav), "--codec", "mulaw"]))
    assert len(coded.audio) == len(plain.audio) and not np.array_equal(coded.audio, plain.audio)
    assert np.corrcoef(coded.audio, plain.audio)[0, 1] > 0.95
