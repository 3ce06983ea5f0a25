"""``--omp_num_threads`` and ``--inference_workers``: from the command line to the configuration, to
OMP_NUM_THREADS, to the scheduler and into the loaded model (the real tiny.en)."""

import os

import pytest

from whisper_live.models import ModelNotFound
from whisper_live.server import app, cli, model_pool


@pytest.mark.parametrize("flags, threads, workers", [
    ([], 1, 4),  # faster_whisper: one thread per call, a call per core
    (["--omp_num_threads", "2"], 2, 2),
    (["--inference_workers", "3"], 1, 3),
    (["-omp", "4", "--inference_workers", "2"], 4, 2),
    (["--backend", "openvino"], 4, 1),  # an OpenVINO pipeline: all cores in one call
    (["--backend", "openvino", "--inference_workers", "2"], 1, 2),
])
def test_flags_reach_the_configuration(monkeypatch, flags, threads, workers):
    monkeypatch.setattr(cli.os, "cpu_count", lambda: 4)
    config = cli.config_from_args(cli.build_parser().parse_args(flags))
    assert (config.cpu_threads, config.workers) == (threads, workers)


def test_start_up_sets_omp_num_threads_before_the_model_loads(monkeypatch):
    monkeypatch.setenv("OMP_NUM_THREADS", "unset by the test")  # restored afterwards
    seen = {}

    class Recorder:
        def __init__(self, config):
            seen.update(threads=config.cpu_threads, workers=config.workers, omp=os.environ["OMP_NUM_THREADS"])
            raise ModelNotFound("stop here")

    monkeypatch.setattr(app, "TranscriptionServer", Recorder)
    assert cli.main(["--omp_num_threads", "3", "--inference_workers", "2", "--port", "0"]) == 2
    assert seen == {"threads": 3, "workers": 2, "omp": "3"}


def test_the_loaded_model_and_the_scheduler_get_them(monkeypatch):
    calls = []
    real_load = model_pool.load_transcriber

    def spy(*args, **kwargs):
        calls.append(kwargs)
        return real_load(*args, **kwargs)

    monkeypatch.setattr(model_pool, "load_transcriber", spy)
    config = cli.config_from_args(cli.build_parser().parse_args(
        ["--omp_num_threads", "2", "--inference_workers", "3", "--host", "127.0.0.1"]))
    server = app.TranscriptionServer(config)
    try:
        assert [(c["cpu_threads"], c["num_workers"]) for c in calls] == [(2, 3)]
        runner = server.default_runner
        assert runner.workers == 3 and runner.meter.workers == 3
        assert runner.transcriber.model.model.num_workers == 3  # CTranslate2's parallel model calls
    finally:
        server.shutdown()
