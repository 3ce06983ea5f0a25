"""The load bench's command line (whisper_live/bench/__main__.py) against a fake WhisperLive-protocol server on
127.0.0.1 (tests/unit/bench/fake_server.py): its JSON line and tables, soak loops, several audio files, the
transcripts it writes, a ramp, and a server it spawns."""

import json
import os
import sys

import pytest

from tests.server_process import ROOT
from tests.unit.bench import fake_server
from tests.unit.bench.fake_server import FakeServer, noise
from whisper_live import wer
from whisper_live.bench import __main__ as bench_main
from whisper_live.bench import server_process


def test_cli_prints_one_json_line_and_a_table(tmp_path, capsys):
    import soundfile

    wav = tmp_path / "clip.wav"
    soundfile.write(str(wav), noise(3.0), 16000)
    with FakeServer() as server:
        code = bench_main.main(["--port", str(server.port), "--clients", "2", "--silent", "1",
                                "--audio", str(wav), "--reference", "alpha bravo charlie",
                                "--server-pid", str(os.getpid()), "--idle-sample", "0.2",
                                "--stagger", "0.3", "--no-offline", "--finish-timeout", "10"])
    out, err = capsys.readouterr()
    assert code == 0
    lines = out.strip().splitlines()
    assert len(lines) == 1
    doc = json.loads(lines[0])
    (run_,) = doc["runs"]
    assert run_["clients"] == 2 and run_["silent"] == 1 and run_["all_finished"]
    # the machine's speed, measured in the same run (a fixed figure here: conftest.py), in the JSON and table
    assert doc["machine"]["speed"]["speed"] == 16.6 and doc["machine"]["speed"]["beam_size"] == 5
    assert "machine speed 16.6 (tiny.en int8 beam 5, one thread" in err
    assert run_["wer"] == 0.0
    # The fake server answers silence with words too: the benchmark must notice them.
    assert run_["silent_words"] == 3
    assert run_["final_latency_s"]["n"] == 6 and run_["final_latency_s"]["p90"] < 1.0
    assert run_["server"]["cpu_percent"] is not None
    assert doc["offline"] == {"skipped": "--no-offline"}
    assert "final p50" in err and "s0" in err and "q0" in err


def test_cli_soak_reports_latency_and_memory_per_loop(tmp_path, capsys):
    import soundfile

    wav = tmp_path / "clip.wav"
    soundfile.write(str(wav), noise(1.5), 16000)
    with FakeServer() as server:
        code = bench_main.main(["--port", str(server.port), "--clients", "1", "--loops", "2",
                                "--audio", str(wav), "--reference", "alpha", "--server-pid", str(os.getpid()),
                                "--idle-sample", "0.2", "--stagger", "0", "--no-offline", "--finish-timeout", "10"])
    out, err = capsys.readouterr()
    assert code == 0
    (run_,) = json.loads(out)["runs"]
    # 1.5 s + 1 s pause + 1.5 s: the fake server commits a word per whole second, at 1, 2, 3 and 4 s.
    assert run_["per_client"][0]["audio_sent_s"] == pytest.approx(4.0, abs=0.26)
    first, second = run_["by_loop"]
    assert (first["loop"], second["loop"]) == (1, 2)
    assert first["final_latency_s"]["n"] + second["final_latency_s"]["n"] == 4
    assert first["final_latency_s"]["n"] >= 1 and second["final_latency_s"]["n"] >= 1
    assert first["partial_latency_s"]["n"] >= 1 and second["partial_latency_s"]["n"] >= 1
    assert first["rss_mb"] > 10 and second["rss_mb"] > 10
    assert "loop 2:" in err


def test_cli_with_two_audio_files_reports_each(tmp_path, capsys):
    import soundfile

    one, two = tmp_path / "one.wav", tmp_path / "two.wav"
    soundfile.write(str(one), noise(2.0), 16000)
    soundfile.write(str(two), noise(3.0), 16000)
    with FakeServer() as server:
        code = bench_main.main(["--port", str(server.port), "--clients", "3", "--audio", str(one),
                                "--reference", "alpha bravo", "--audio", str(two), "--reference",
                                "alpha bravo echo", "--stagger", "0.2", "--no-offline", "--finish-timeout", "10"])
    out, err = capsys.readouterr()
    assert code == 0
    (run_,) = json.loads(out)["runs"]
    assert [c["audio"] for c in run_["per_client"]] == [str(one), str(two), str(one)]
    # the fake server says "alpha bravo charlie" for 3 s: one substitution in the second file's 3 words
    assert run_["wer_by_audio"] == [{"audio": str(one), "clients": 2, "wer": 0.0, "wer_offline": None},
                                    {"audio": str(two), "clients": 1, "wer": round(1 / 3, 4), "wer_offline": None}]
    assert run_["wer"] == round(1 / 7, 4)
    assert "WER by audio" in err and "two.wav" in err


def test_cli_writes_each_speakers_transcript_and_the_references(tmp_path, capsys):
    import soundfile

    one, two = tmp_path / "one.wav", tmp_path / "two.wav"
    soundfile.write(str(one), noise(2.0), 16000)
    soundfile.write(str(two), noise(3.0), 16000)
    out_dir = tmp_path / "texts"
    with FakeServer() as server:
        code = bench_main.main(["--port", str(server.port), "--clients", "2", "--silent", "1", "--audio", str(one),
                                "--reference", "alpha bravo", "--audio", str(two), "--reference",
                                "alpha bravo echo", "--stagger", "0.2", "--no-offline", "--finish-timeout", "10",
                                "--transcripts", str(out_dir)])
    capsys.readouterr()
    assert code == 0
    # the fake server says one word per second of audio; silent clients get no file
    assert sorted(p.name for p in out_dir.iterdir()) == ["N2-s0.segments.tsv", "N2-s0.txt", "N2-s1.segments.tsv",
                                                         "N2-s1.txt", "reference-1.txt", "reference-2.txt"]
    assert wer.normalize((out_dir / "N2-s0.txt").read_text()) == "alpha bravo"
    # each completed segment with its place in the stream and its final latency
    header, *rows = [line.split("\t") for line in (out_dir / "N2-s1.segments.tsv").read_text().splitlines()]
    assert header == ["start", "end", "latency", "text"]
    assert wer.normalize(" ".join(row[3] for row in rows)) == "alpha bravo charlie"
    assert all(0 <= float(row[2]) < 10 and float(row[0]) <= float(row[1]) <= 3.0 for row in rows)
    assert wer.normalize((out_dir / "N2-s1.txt").read_text()) == "alpha bravo charlie"
    assert (out_dir / "reference-2.txt").read_text() == "alpha bravo echo\n"




def test_cli_ramp_reports_the_largest_count_meeting_the_target(tmp_path, capsys):
    import soundfile

    wav = tmp_path / "clip.wav"
    soundfile.write(str(wav), noise(2.0), 16000)
    with FakeServer() as server:
        code = bench_main.main(["--port", str(server.port), "--ramp", "1,2", "--audio", str(wav),
                                "--reference", "alpha bravo", "--stagger", "0.2", "--pause", "0",
                                "--no-offline", "--target-p90", "0.05", "-q"])
    doc = json.loads(capsys.readouterr().out)
    assert code == 0
    # Latency is about 0.2 s: a 0.05 s target is missed at once, and the ramp stops there.
    assert [r["clients"] for r in doc["runs"]] == [1]
    assert doc["max_clients_meeting_target"] == 0




def test_cli_ramp_with_rotate_audio_gives_each_run_the_next_start(tmp_path, capsys):
    import soundfile

    wav = tmp_path / "clip.wav"
    soundfile.write(str(wav), noise(1.0), 16000)
    with FakeServer() as server:
        code = bench_main.main(["--port", str(server.port), "--ramp", "1,1,1", "--ramp-all", "--rotate-audio",
                                "--starts", "2", "--audio", str(wav), "--reference", "alpha bravo",
                                "--stagger", "0.2", "--pause", "0", "--no-offline", "-q"])
    doc = json.loads(capsys.readouterr().out)
    assert code == 0 and doc["config"]["rotate_audio"]
    # two starts of one clip, taken in turn: the first, the later one, the first again
    heard = [[a["audio"] for a in run_["wer_by_audio"]] for run_ in doc["runs"]]
    assert heard == [[str(wav)], [f"{wav} +0.137 s"], [str(wav)]], heard


def test_spawned_server_is_started_measured_and_stopped(tmp_path, capsys):
    import socket

    import soundfile

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    wav = tmp_path / "clip.wav"
    soundfile.write(str(wav), noise(2.0), 16000)
    command = f"env PYTHONPATH={ROOT} {sys.executable} {os.path.abspath(fake_server.__file__)} {port}"
    code = bench_main.main(["--port", str(port), "--spawn-server", command, "--audio", str(wav),
                            "--reference", "alpha bravo", "--stagger", "0", "--no-offline", "-q",
                            "--spawn-timeout", "30", "--idle-sample", "0.2"])
    doc = json.loads(capsys.readouterr().out)
    assert code == 0
    (run_,) = doc["runs"]
    assert run_["all_finished"] and run_["wer"] == 0.0
    assert run_["server"]["pid"] != os.getpid() and run_["server"]["rss_peak_mb"] > 5
    assert not server_process.port_open("127.0.0.1", port)  # it was stopped


def test_cli_diarize_makes_the_clients_ask_for_speaker_labels(tmp_path, capsys):
    import soundfile

    wav = tmp_path / "clip.wav"
    soundfile.write(str(wav), noise(2.0), 16000)
    with FakeServer() as server:
        code = bench_main.main(["--port", str(server.port), "--audio", str(wav), "--reference", "alpha bravo",
                                "--diarize", "--stagger", "0", "--no-offline", "--finish-timeout", "10"])
    doc = json.loads(capsys.readouterr().out)
    assert code == 0 and doc["config"]["diarize"] is True and doc["runs"][0]["all_finished"]
    assert [options.enable_diarization for options in server.options] == [True]
