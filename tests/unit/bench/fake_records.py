"""Made-up workload records (as bench/workload_run.py writes them) for the tables' and targets' tests."""

from __future__ import annotations

from whisper_live.bench import workloads

MACHINE = {"cpu": "Some CPU", "cpus": 2, "memory_gb": 23.4, "platform": "Linux", "python": "3.11.7"}


def load_run(clients, silent=0, p90=1.2, most=2.5, wer=0.055, offline=0.05, **extra):
    """One run of the load bench's JSON line."""
    run = {"clients": clients, "silent": silent, "finished": clients + silent,
           "replies": {"wait": 0, "error": 0, "warning": 0},
           "final_latency_s": {"n": 10, "p50": 0.8, "p90": p90, "max": most, "mean": 1.0},
           "partial_latency_s": {"n": 50, "p50": 0.4, "p90": 0.7, "max": 1.0, "mean": 0.5},
           "silent_final_latency_s": {"n": 0}, "silent_words": 0,
           "wer": wer, "wer_offline": offline, "wer_vs_offline": None if wer is None else wer / offline - 1,
           "server": {"cpu_percent": 150.0, "cpu_percent_per_client": 18.75, "rss_peak_mb": 600.0,
                      "rss_per_client_mb": 3.2}}
    run.update(extra)
    return run


def record(name, result, speed=None, machine=None, started="2026-12-02T10:00:00Z", **extra):
    """A workload's record around ``result`` (a bench's JSON line); ``speed``: the machine's, as the bench
    measured it."""
    if speed is not None:
        result = dict(result, machine={"speed": {"speed": speed}})
    known = workloads.BY_NAME.get(name)
    return {"workload": name, "title": known.title if known else name, "commit": "abc123",
            "machine": dict(machine or MACHINE), "software": {"faster-whisper": "1.2.0"}, "started": started,
            "result": result, **extra}


def load_record(name, runs, speed=None, audio_s=231.0, config=None, **result):
    """A load-bench workload's record with ``runs``."""
    cfg = {"audio_s": audio_s, "silent_speaks_every_s": None, **(config or {})}
    return record(name, {"config": cfg, "runs": runs, **result}, speed=speed)
