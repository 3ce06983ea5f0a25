"""``--omp_num_threads`` and ``--inference_workers`` reach the scheduler and the loaded model (the real
tiny.en). From the command line to the configuration and OMP_NUM_THREADS: tests/unit/server/test_cli.py."""

from whisper_live.server import app, cli, model_pool


def test_the_loaded_model_and_the_scheduler_get_them(monkeypatch):
    calls = []
    real_load = model_pool.load_transcriber

    def spy(*args, **kwargs):
        calls.append(kwargs)
        return real_load(*args, **kwargs)

    monkeypatch.setattr(model_pool, "load_transcriber", spy)
    config = cli.config_from_args(cli.build_parser().parse_args(
        ["--omp_num_threads", "2", "--inference_workers", "3", "--compute_type", "int8", "--host", "127.0.0.1"]))
    server = app.TranscriptionServer(config)
    try:
        assert [(c["cpu_threads"], c["num_workers"]) for c in calls] == [(2, 3)]
        runner = server.default_runner
        assert runner.workers == 3 and runner.meter.workers == 3
        assert runner.transcriber.model.model.num_workers == 3  # CTranslate2's parallel model calls
    finally:
        server.shutdown()
