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
