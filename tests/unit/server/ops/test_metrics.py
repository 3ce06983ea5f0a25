"""The server's Prometheus metrics (whisper_live/server/ops/metrics.py) from the scheduler's batch reports."""

from __future__ import annotations

from whisper_live.scheduler import BatchReport
from whisper_live.server.ops.metrics import Metrics


def test_batch_reports_become_latency_histograms():
    metrics = Metrics()
    observe = metrics.batch_observer("faster_whisper", "tiny.en")
    observe(BatchReport(2, 0.4, [("final", 0.1, 0.5), ("partial", 0.2, 0.6)]))
    observe(BatchReport(1, 0.3, [("final", 0.0, 0.3)], failed=True))
    text = metrics.exposition()[0].decode()
    labels = 'backend="faster_whisper",model="tiny.en"'
    assert f"whisperlive_final_latency_seconds_count{{{labels}}} 1.0" in text
    assert f"whisperlive_partial_latency_seconds_count{{{labels}}} 1.0" in text
    assert f"whisperlive_inference_batch_size_sum{{{labels}}} 3.0" in text
    assert f"whisperlive_inference_queue_wait_seconds_count{{{labels}}} 3.0" in text
    assert 'whisperlive_errors_total{type="inference"} 1.0' in text
    assert "whisperlive_transcription_latency_seconds_count 2.0" in text
    assert "process_resident_memory_bytes" in text


def test_finals_are_counted_by_the_quality_ladders_rung_and_the_rung_is_read_at_each_scrape():
    metrics = Metrics()
    observe = metrics.batch_observer("faster_whisper", "tiny.en")
    observe(BatchReport(1, 0.4, [("final", 0.1, 0.5)], final_rungs=["full"]))
    observe(BatchReport(1, 0.2, [("final", 0.1, 0.3)], final_rungs=["greedy"]))
    observe(BatchReport(1, 0.2, [("final", 0.1, 0.3)], final_rungs=["greedy"]))
    rung = [2]
    metrics.watch_ladder("faster_whisper", "tiny.en", lambda: rung[0])
    text = metrics.exposition()[0].decode()
    labels = 'backend="faster_whisper",model="tiny.en"'
    assert f'whisperlive_final_windows_total{{{labels},rung="full"}} 1.0' in text
    assert f'whisperlive_final_windows_total{{{labels},rung="greedy"}} 2.0' in text
    assert f"whisperlive_quality_rung{{{labels}}} 2.0" in text


def test_the_compute_type_of_each_kind_of_work_is_an_info_gauge():
    metrics = Metrics()
    metrics.compute_types("faster_whisper", "tiny.en", {"partial": ("int8", "fastest"),
                                                         "file": ("float32", "more precise at 1.25x")})
    text = metrics.exposition()[0].decode()
    assert ('whisperlive_compute_type_info{backend="faster_whisper",compute_type="float32",model="tiny.en",'
            'reason="more precise at 1.25x",work="file"} 1.0') in text
