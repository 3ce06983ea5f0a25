"""The benchmark's clients and CLI against a small fake WhisperLive-protocol server on 127.0.0.1.

The fake server "transcribes" by position: after each whole second of audio it has received it waits
REPLY_DELAY seconds and commits one segment [i, i+1] holding the i-th word of WORDS; after every frame it
sends an in-progress segment up to the audio received so far. So the benchmark's latencies are known in
advance: final about REPLY_DELAY (plus the 24 ms the frame holding each whole second runs past it),
partial about 0.
"""

import json
import os
import subprocess
import sys
import threading
import time

import numpy as np
import pytest

from whisper_live import protocol, wer
from whisper_live.bench import __main__ as bench_main
from whisper_live.bench import metrics, plan, runner, server_process
from whisper_live.bench.audio import Speech

WORDS = ["alpha", "bravo", "charlie", "delta", "echo", "foxtrot"]
REPLY_DELAY = 0.2


def fake_session(conn, mode: str, admitted: list, lock: threading.Lock) -> None:
    opts = protocol.ClientOptions.from_message(conn.recv())
    uid = opts.uid
    with lock:
        full = mode == "one-client" and bool(admitted)
        admitted.append(uid)
    if full:
        conn.send(protocol.wait(uid, 1.5))
        conn.close()
        return
    conn.send(protocol.server_ready(uid, "fake"))
    received = 0
    committed: list[protocol.Segment] = []
    while True:
        try:
            data = conn.recv()
        except Exception:
            return
        if data in (protocol.END_OF_AUDIO, protocol.END_OF_AUDIO.decode()):
            break
        received += len(protocol.decode_audio_frame(data))
        seconds = received / protocol.SAMPLE_RATE
        while len(committed) < int(seconds) and len(committed) < len(WORDS):
            i = len(committed)
            time.sleep(REPLY_DELAY)
            committed.append(protocol.Segment(float(i), float(i + 1), " " + WORDS[i].capitalize() + ".", True))
        partial = protocol.Segment(float(len(committed)), seconds, " ...", False)
        conn.send(protocol.segments(uid, committed[-3:] + [partial]))
    if mode == "hang":
        time.sleep(30)  # never answers END_OF_AUDIO; the client must give up by itself
        return
    conn.send(protocol.segments(uid, committed[-3:]))
    conn.send(protocol.disconnect(uid))
    conn.close()


class FakeServer:
    def __init__(self, mode: str = "ok", port: int = 0):
        from websockets.sync.server import serve

        self.admitted: list = []
        lock = threading.Lock()
        self.server = serve(lambda conn: fake_session(conn, mode, self.admitted, lock), "127.0.0.1", port,
                            compression=None, ping_interval=None)
        self.port = self.server.socket.getsockname()[1]
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.server.shutdown()
        self.thread.join(10)


def noise(seconds: float) -> np.ndarray:
    return (np.random.default_rng(1).standard_normal(int(seconds * 16000)) * 0.01).astype(np.float32)


def run(server_port: int, n: int, seconds: float, finish_timeout: float = 10.0, watch=None):
    settings = plan.RunSettings(port=server_port, frame_samples=4096, ready_timeout=5.0,
                                finish_timeout=finish_timeout)
    reference = " ".join(WORDS[: int(seconds)])
    plans = plan.plan_clients([Speech(noise(seconds), reference, "noise")], n, 0, lambda i: noise(seconds), 0.3,
                              seed=3)
    return runner.run_clients(plans, settings, watch, idle_sample=0.2)


def test_two_clients_against_a_fake_server_give_the_expected_figures():
    with FakeServer() as server:
        started = time.monotonic()
        result = run(server.port, 2, 4.0)
        elapsed = time.monotonic() - started
    # Real-time pace: 4 s of audio take at least 4 s to send, and the run stops by itself soon after.
    assert 4.0 <= elapsed < 8.0
    figures = metrics.aggregate(result.logs)
    assert figures["all_finished"], [log.failure for log in result.logs]
    assert figures["wer"] == 0.0
    final = figures["final_latency_s"]
    assert final["n"] == 8  # 4 segments per client
    # The fake server waits 0.2 s before each commit; the frame that covers second i ends 24 ms after it.
    assert REPLY_DELAY - 0.05 <= final["p50"] <= REPLY_DELAY + 0.3
    assert final["max"] < 1.0
    partial = figures["partial_latency_s"]
    assert partial["n"] > 20 and partial["p50"] < 0.1
    for log in result.logs:
        # Pacing: frame k (from 1) left at k * 0.256 s after the first send, within scheduling jitter.
        start = log.frame_t[0] - log.frame_audio_end[0]
        drift = [t - start - end for t, end in zip(log.frame_t, log.frame_audio_end)]
        assert max(abs(d) for d in drift) < 0.15
        assert log.frame_audio_end[-1] == pytest.approx(4.0)
        assert log.t_done is not None and log.t_done >= log.t_end_of_audio


def test_a_refused_client_is_counted_and_not_finished():
    with FakeServer(mode="one-client") as server:
        result = run(server.port, 2, 2.0)
    figures = metrics.aggregate(result.logs)
    assert figures["replies"]["wait"] == 1
    assert figures["finished"] == 1 and not figures["all_finished"]
    refused = [log for log in result.logs if log.admission == "wait"]
    assert len(refused) == 1 and not refused[0].frame_t
    assert not metrics.meets_target(figures, target_p90=10.0)


def test_a_server_that_never_says_disconnect_leaves_the_client_unfinished_in_bounded_time():
    with FakeServer(mode="hang") as server:
        started = time.monotonic()
        result = run(server.port, 1, 2.0, finish_timeout=1.0)
        elapsed = time.monotonic() - started
    assert elapsed < 2.0 + 0.3 + 1.0 + 3.0
    (log,) = result.logs
    assert not log.finished and "no DISCONNECT within 1 s" in log.failure
    assert len(metrics.final_latencies(log).values) == 2  # what arrived before the end still counts


def test_nothing_listening_is_reported_not_raised():
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]  # bound but not listening: connections are refused
        result = run(port, 1, 1.0)
    (log,) = result.logs
    assert log.admission == "connect_failed" and not log.finished


def test_server_watch_measures_cpu_and_memory():
    with FakeServer() as server:
        watch = server_process.ServerWatch(os.getpid(), interval=0.1)
        result = run(server.port, 1, 2.0, watch=watch)
    srv = result.server
    assert srv["pid"] == os.getpid()
    assert srv["rss_before_mb"] > 10 and srv["rss_peak_mb"] >= srv["rss_before_mb"] * 0.9
    assert srv["rss_connected_mb"] is not None and srv["rss_per_client_mb"] is not None
    assert srv["cpu_percent"] is not None and 0.0 <= srv["cpu_percent"] < 400
    assert srv["cpu_percent_per_client"] == pytest.approx(srv["cpu_percent"] - srv["idle_cpu_percent"], abs=0.02)


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
    assert run_["wer"] == 0.0
    # The fake server answers silence with words too: the benchmark must notice them.
    assert run_["silent_words"] == 3
    assert run_["final_latency_s"]["n"] == 6 and run_["final_latency_s"]["p90"] < 1.0
    assert run_["server"]["cpu_percent"] is not None
    assert doc["offline"] == {"skipped": "--no-offline"}
    assert "final p50" in err and "s0" in err and "q0" in err


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


def test_speakers_take_turns_over_several_audio_files():
    first, second = Speech(noise(1.0), "alpha", "first"), Speech(noise(2.0), "alpha bravo", "second")
    plans = plan.plan_clients([first, second], 3, 1, lambda i: noise(2.0), 0.0, seed=0)
    assert [(p.name, p.source, p.reference) for p in plans] == [
        ("s0", "first", "alpha"), ("s1", "second", "alpha bravo"), ("s2", "first", "alpha"), ("q0", "silence", None)]
    assert len(plans[1].audio) == 32000 and not plans[3].speaking


def test_offline_wer_is_weighted_as_the_speakers_were_spread():
    from whisper_live.bench.offline import offline_wer_for_clients

    speeches = [Speech(noise(1.0), "one two three four", "a"), Speech(noise(1.0), "five six", "b")]
    offline = {"per_audio": [{"audio": "a", "text": "one two three four"}, {"audio": "b", "text": "five"}]}
    assert offline_wer_for_clients(offline, speeches, ["a"]) == 0.0  # only one speaker, on audio a
    assert offline_wer_for_clients(offline, speeches, ["a", "b"]) == round(1 / 6, 4)
    assert offline_wer_for_clients(offline, speeches, ["a", "b", "a"]) == 0.1  # one error in 10 words
    assert offline_wer_for_clients(offline, speeches, []) is None
    assert offline_wer_for_clients({"skipped": "--no-offline"}, speeches, ["a"]) is None


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


def test_cli_wants_one_reference_per_audio():
    with pytest.raises(SystemExit):
        bench_main.parse_args(["--audio", "a.wav", "--audio", "b.wav", "--reference", "x"])
    with pytest.raises(SystemExit):
        bench_main.parse_args(["--mixed", "--audio", "a.wav"])


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


def test_cli_refuses_a_remote_host():
    with pytest.raises(SystemExit):
        bench_main.parse_args(["--host", "192.0.2.1"])


def test_spawned_server_is_started_measured_and_stopped(tmp_path, capsys):
    import socket

    import soundfile

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    wav = tmp_path / "clip.wav"
    soundfile.write(str(wav), noise(2.0), 16000)
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    command = f"env PYTHONPATH={root} {sys.executable} {os.path.abspath(__file__)} {port}"
    code = bench_main.main(["--port", str(port), "--spawn-server", command, "--audio", str(wav),
                            "--reference", "alpha bravo", "--stagger", "0", "--no-offline", "-q",
                            "--spawn-timeout", "30", "--idle-sample", "0.2"])
    doc = json.loads(capsys.readouterr().out)
    assert code == 0
    (run_,) = doc["runs"]
    assert run_["all_finished"] and run_["wer"] == 0.0
    assert run_["server"]["pid"] != os.getpid() and run_["server"]["rss_peak_mb"] > 5
    assert not server_process.port_open("127.0.0.1", port)  # it was stopped


if __name__ == "__main__":
    # Used by test_spawned_server_...: run the fake server on the given port until terminated (at most 60 s).
    with FakeServer(port=int(sys.argv[1])):
        time.sleep(60)
