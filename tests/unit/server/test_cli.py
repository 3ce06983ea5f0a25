"""The server's command line (whisper_live/server/cli.py): flags to configuration, their help, and what
start-up does before the model loads."""

import os

import pytest

from whisper_live.models import ModelNotFound
from whisper_live.server import app, cli
from whisper_live.server.cli import build_parser, config_from_args


def config(*flags):
    return config_from_args(build_parser().parse_args(list(flags)))


def test_flags_out_of_range_are_clamped():
    cfg = config("--final_beam_size", "0", "--final_context", "-3", "--refine_agreed_within", "-1")
    assert (cfg.final_beam_size, cfg.final_context, cfg.refine_agreed_within) == (1, 0.0, 0.0)


def test_help_states_each_default():
    text = build_parser().format_help()
    assert "default: None" not in text
    assert "Default: 5 with faster_whisper" in " ".join(text.split())


def test_the_api_is_off_unless_enabled_and_its_flags_have_defaults():
    args = build_parser().parse_args([])
    assert (args.enable_rest, args.rest_port, args.max_upload_mb) == (False, 8000, 100)
    args = build_parser().parse_args(["--enable_rest", "--rest_port", "8100", "--max_upload_mb", "2.5"])
    assert (args.enable_rest, args.rest_port, args.max_upload_mb) == (True, 8100, 2.5)
    text = build_parser().format_help()
    assert "--enable_rest" in text and "--max_upload_mb" in text


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


def blas_threads() -> list[int]:
    from threadpoolctl import threadpool_info

    return [pool["num_threads"] for pool in threadpool_info() if pool["user_api"] == "blas"]


def test_start_up_keeps_numpy_blas_on_one_thread(monkeypatch):
    from threadpoolctl import threadpool_limits

    seen = {}

    class Recorder:
        def __init__(self, config):
            seen["blas"] = blas_threads()
            raise ModelNotFound("stop here")

    monkeypatch.setattr(app, "TranscriptionServer", Recorder)
    with threadpool_limits(limits=2, user_api="blas"):  # as numpy starts on a 2-core machine; undone after
        assert blas_threads() and max(blas_threads()) == 2
        assert cli.main(["--port", "0"]) == 2
    assert seen["blas"] and set(seen["blas"]) == {1}


def test_diarization_is_offered_unless_turned_off():
    assert config().diarization is True
    assert config("--diarization", "off").diarization is False


def test_telephony_flags_reach_the_configuration_and_a_bad_pattern_stops_the_start():
    import pytest

    from whisper_live.server.cli import build_parser, config_from_args

    config = config_from_args(build_parser().parse_args([
        "--telephony_callback_url", "https://hooks.example.com/t", "--telephony_callback_allow",
        "*.example.com,10.0.0.0/8", "--telephony_callback_allow", "203.0.113.7", "--twilio_auth_token", "s3cret"]))
    assert config.telephony_callback_url == "https://hooks.example.com/t"
    assert config.telephony_callback_allow == ("*.example.com", "10.0.0.0/8", "203.0.113.7")
    assert config.twilio_auth_token == "s3cret" and "s3cret" not in repr(config)
    with pytest.raises(ValueError):
        config_from_args(build_parser().parse_args(["--telephony_callback_allow", "not a host!"]))


def test_the_options_timeout_and_the_callback_drain_timeout_are_settable_with_defaults():
    assert (config().options_timeout, config().telephony_callback_drain_timeout) == (10.0, 10.0)
    cfg = config("--options_timeout", "1.5", "--telephony_callback_drain_timeout", "2")
    assert (cfg.options_timeout, cfg.telephony_callback_drain_timeout) == (1.5, 2.0)
    cfg = config("--options_timeout", "0", "--telephony_callback_drain_timeout", "-1")
    assert (cfg.options_timeout, cfg.telephony_callback_drain_timeout) == (0.1, 0.0)
    text = " ".join(build_parser().format_help().split())
    assert "--options_timeout SECONDS" in text and "--telephony_callback_drain_timeout SECONDS" in text
