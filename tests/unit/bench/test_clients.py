"""The benchmark's clients (whisper_live/bench/clients.py) against a fake WhisperLive-protocol server on
127.0.0.1 (tests/unit/bench/fake_server.py), whose latencies are known in advance."""

import time

import pytest

from tests.unit.bench.fake_server import REPLY_DELAY, FakeServer, run
from whisper_live.bench import metrics


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


def test_the_codec_option_sends_telephone_audio():
    """--codec mulaw: the options ask for mulaw at 8 kHz, and all the audio arrives in it."""
    with FakeServer() as server:
        result = run(server.port, 1, 3.0, codec="mulaw")
    assert server.formats == [("mulaw", 8000)]
    figures = metrics.aggregate(result.logs)
    assert figures["all_finished"], [log.failure for log in result.logs]
    assert figures["wer"] == 0.0  # every whole second arrived: the fake server committed all three words


@pytest.mark.parametrize("bitrate", [24, "auto"])
def test_the_opus_codec_sends_packets_and_the_report_counts_their_bytes(bitrate):
    """--codec opus: the options ask for opus, every second arrives, and the audio costs at most 1/15 of
    float32's 64000 bytes a second."""
    with FakeServer() as server:
        result = run(server.port, 1, 3.0, codec="opus", bitrate=bitrate)
    assert server.formats == [("opus", 16000)]
    figures = metrics.aggregate(result.logs)
    assert figures["all_finished"], [log.failure for log in result.logs]
    assert figures["wer"] == 0.0
    assert 1000 < figures["bytes_per_audio_s"] < 64000 / 15
    assert metrics.client_figures(result.logs[0])["bytes_per_audio_s"] == figures["bytes_per_audio_s"]


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
