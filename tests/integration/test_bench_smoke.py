"""Smoke test: the benchmark for a few seconds, 2 clients, against the real server with tiny.en.

It uses the session fixture ``live_server`` (tests/conftest.py) when there is one; otherwise the benchmark
starts the server itself with ``--spawn-server`` on a free port of 127.0.0.1 and stops it at the end.
"""

import json
import os
import sys
from pathlib import Path

import pytest
import soundfile

from tests.server_process import ROOT, free_port
from whisper_live.bench import __main__ as bench_main
from whisper_live.bench import audio as audio_mod

SHORT_CLIP = "en/librispeech/1272-128104-0000.flac"  # 5.9 s, LibriSpeech dev-clean


def short_speech() -> audio_mod.Speech:
    shared = audio_mod.shared_audio_dir()
    if shared is not None and (shared / SHORT_CLIP).exists():
        speech = audio_mod.load_speech(str(shared / SHORT_CLIP))
        if speech.reference:
            return speech
    speech = audio_mod.audioeval_speech() or audio_mod.espeak_speech()
    if speech is None:
        pytest.fail("no speech clip: pytest-audioeval and espeak-ng, which scripts/test.sh installs, are missing")
    return speech


def server_args(request) -> list:
    try:
        server = request.getfixturevalue("live_server")
    except pytest.FixtureLookupError:
        port = free_port()
        command = (f"env PYTHONPATH={ROOT} {sys.executable} {os.path.join(ROOT, 'run_server.py')} "
                   f"--host 127.0.0.1 --port {port}")
        return ["--port", str(port), "--spawn-server", command, "--spawn-timeout", "120"]
    args = ["--host", server.host, "--port", str(server.port)]
    pid = getattr(server, "pid", None)
    if pid:
        args += ["--server-pid", str(pid)]
    return args


def clip_with_reference(tmp_path) -> tuple[audio_mod.Speech, Path]:
    """The short speech clip and a WAV file of it, with its reference beside it (NAME.txt: what the direct
    bench looks for, and the file the load bench's --reference is given)."""
    speech = short_speech()
    wav = tmp_path / "speech.wav"
    soundfile.write(str(wav), speech.audio, 16000)
    wav.with_suffix(".txt").write_text(speech.reference, encoding="utf-8")
    return speech, wav


def test_bench_two_clients_against_the_real_server(request, tmp_path, capsys):
    _, wav = clip_with_reference(tmp_path)
    code = bench_main.main(server_args(request) + [
        "--clients", "2", "--audio", str(wav), "--reference", str(wav.with_suffix(".txt")), "--stagger", "0.5",
        "--finish-timeout", "60", "--idle-sample", "0.5", "--starts", "2",
        "--no-machine-speed",  # measured by the last test of this file
    ])
    out, err = capsys.readouterr()
    assert code == 0, err
    doc = json.loads(out.strip().splitlines()[-1])
    (run,) = doc["runs"]
    assert run["all_finished"], (run["not_finished"], [c["failure"] for c in run["per_client"]])
    assert run["replies"] == {"wait": 0, "error": 0, "warning": 0}
    for key in ("final_latency_s", "partial_latency_s"):
        figures = run[key]
        assert figures["n"] >= 2, (key, figures)
        assert 0.0 <= figures["p50"] <= figures["p90"] <= figures["max"] < 60.0
    # A clean 6 s clip through tiny.en: a broken transcript (nothing, or garbage) would fail this.
    assert run["wer"] is not None and run["wer"] < 0.5, run["per_client"]
    assert doc["offline"].get("wer") is not None and doc["offline"]["wer"] < 0.5, doc["offline"]
    assert run["wer_offline"] == doc["offline"]["wer"]
    # --starts 2: the second client streamed the clip 0.137 s later, transcribed offline on its own
    late = f"{wav} +{audio_mod.START_STEP:.3f} s"
    assert [c["audio"] for c in run["per_client"]] == [str(wav), late]
    assert [a["audio"] for a in doc["offline"]["per_audio"]] == [str(wav), late]
    if run["server"] is not None:
        assert run["server"]["cpu_percent"] is not None and run["server"]["rss_peak_mb"] > 50
    for client in run["per_client"]:
        assert client["finished"] and client["words"] > 0 and client["finish_s"] is not None


def test_batching_bench_measures_each_batch_size(tmp_path, capsys):
    from whisper_live.bench import batching

    _, wav = clip_with_reference(tmp_path)
    code = batching.main(["--audio", str(wav), "--window", "2", "--windows", "4", "--sizes", "1,2,4",
                          "--rounds", "1"])
    out, err = capsys.readouterr()
    assert code == 0, err
    doc = json.loads(out.strip().splitlines()[-1])
    assert [row["batch_size"] for row in doc["rows"]] == [1, 2, 4]
    assert all(row["seconds_per_window"] > 0 for row in doc["rows"])
    assert doc["rows"][0]["speedup"] == 1.0
    assert "| 4 |" in err


def test_batching_bench_decodes_with_the_beam_asked(tmp_path, capsys):
    from whisper_live.bench import batching

    _, wav = clip_with_reference(tmp_path)
    code = batching.main(["--audio", str(wav), "--window", "2", "--windows", "2", "--sizes", "1,2",
                          "--rounds", "1", "--beam_size", "5"])
    out, err = capsys.readouterr()
    assert code == 0, err
    doc = json.loads(out.strip().splitlines()[-1])
    assert doc["config"]["beam_size"] == 5
    assert [row["batch_size"] for row in doc["rows"]] == [1, 2]
    assert "beam 5" in err
    with pytest.raises(SystemExit):
        batching.parse_args(["--beam_size", "0"])


def test_direct_bench_streams_a_clip_through_the_real_model(tmp_path, capsys):
    from whisper_live.bench import direct

    _, wav = clip_with_reference(tmp_path)
    code = direct.main(["--audio", str(wav), "--show-text"])
    out, err = capsys.readouterr()
    assert code == 0, err
    doc = json.loads(out.strip().splitlines()[-1])
    (row,) = doc["per_audio"]
    # a clean 6 s clip through tiny.en: a transcript that is empty or garbage would fail this
    assert row["wer"] < 0.5 and row["offline_wer"] < 0.5, row
    assert row["windows"]["final"]["windows"] >= 1 and row["windows"]["final"]["model_s"] > 0
    assert doc["config"]["final_context"] == 20.0 and doc["config"]["final_beam_size"] == 5  # the server's
    assert doc["config"]["refine_agreed_within"] == 1.5
    assert doc["config"]["endpoint_schedule"] == "1.75:1,6:0.6,8:0.4,inf:0.3"
    # every segment committed after its end was fed, and within the clip
    assert 0 <= row["commit_lag"]["p50"] <= row["commit_lag"]["max"] < 10, row["commit_lag"]
    assert row["text"] and row["text"] in err


def test_direct_bench_streams_each_audio_once_per_start(tmp_path, capsys):
    from whisper_live.bench import direct

    _, wav = clip_with_reference(tmp_path)
    code = direct.main(["--audio", str(wav), "--starts", "2", "--no-offline"])
    out, err = capsys.readouterr()
    assert code == 0, err
    doc = json.loads(out.strip().splitlines()[-1])
    assert doc["config"]["starts"] == [0.0, audio_mod.START_STEP]
    (row,) = doc["per_audio"]
    assert len(row["wer_runs"]) == 2 and all(w < 0.5 for w in row["wer_runs"]), row
    assert abs(doc["wer"] - sum(doc["wer_runs"]) / 2) < 1e-4
    assert "mean of 2 starts" in err


def test_bench_drop_every_resumes_and_counts_words(request, tmp_path, capsys):
    speech, wav = clip_with_reference(tmp_path)
    code = bench_main.main(server_args(request) + [
        "--clients", "2", "--audio", str(wav), "--reference", str(wav.with_suffix(".txt")), "--stagger", "0.5",
        "--drop-every", "3", "--finish-timeout", "60", "--idle-sample", "0", "--no-offline",
        "--no-machine-speed",
    ])
    out, err = capsys.readouterr()
    assert code == 0, err
    (run,) = json.loads(out.strip().splitlines()[-1])["runs"]
    assert run["all_finished"], [c["failure"] for c in run["per_client"]]
    drops = run["drops"]
    expected = 2 * int((speech.audio.size / 16000 - 1e-6) // 3)  # a drop after every 3 s of audio, per client
    assert drops["drops"] == drops["resumes"] == expected, drops
    assert drops["reference_words"] == 2 * len(speech.reference.split())
    # one word per drop at most, as the server's resume promises
    assert drops["words_lost"] + drops["words_duplicated"] <= drops["drops"] + 2 * run["wer"] * len(
        speech.reference.split()), drops
    assert "dropping every 3 s" in err


def test_the_machine_speed_is_the_bundled_models_offline_real_time_factor_on_one_thread():
    from whisper_live.bench import machine_speed

    speed = machine_speed.measure()
    assert speed["model"] == "tiny.en" and speed["compute_type"] == "int8" and speed["threads"] == 1
    assert 0 < speed["audio_s"] <= machine_speed.CLIP_SECONDS
    assert speed["speed"] == pytest.approx(speed["audio_s"] / speed["seconds"], rel=0.01)
