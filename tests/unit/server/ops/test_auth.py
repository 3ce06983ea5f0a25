"""Keys, origins, limits, health, headroom, environment variables, JSON logs and metrics, without a server."""

from __future__ import annotations

import argparse
import json
import logging

import pytest

from whisper_live.admission import Admission, LoadMeter
from whisper_live.scheduler import BatchReport
from whisper_live.server.ops.auth import ApiKeys, ConnectionLimiter, OriginPolicy, RateLimiter, presented_key, read_keys
from whisper_live.server.cli import build_parser, config_from_args
from whisper_live.server.ops.environment import with_environment
from whisper_live.server.ops.health import ServerState, liveness, readiness
from whisper_live.server.ops.log_format import JsonFormatter
from whisper_live.server.ops.metrics import Metrics


def test_keys_from_header_or_query_and_a_file(tmp_path):
    keys_file = tmp_path / "keys"
    keys_file.write_text("# team keys\nfile-key\n\n")
    keys = ApiKeys(read_keys(["flag-key"], str(keys_file)))
    assert keys.required and len(keys) == 2 and "flag-key" not in repr(keys) and "file-key" not in repr(keys)
    assert keys.allows("Bearer flag-key") and keys.allows("bearer  file-key ")
    assert keys.allows(None, "/?token=file-key") and keys.allows(None, "/?a=1&token=flag-key")
    assert not keys.allows(None, "/?token=file-key", query_token=False)
    assert not keys.allows("Bearer wrong") and not keys.allows(None, "/") and not keys.allows("Basic flag-key")
    assert not keys.allows("Bearer flag-ke") and not keys.allows("Bearer flag-key2")
    assert presented_key("Bearer a", "/?token=b") == "a"
    assert ApiKeys().allows(None, "/"), "no keys configured: no key needed"


def test_origins_default_to_own_host_and_localhost():
    default = OriginPolicy.parse(None)
    assert default.allows(None, "example.com:9090"), "non-browser clients send no Origin"
    assert default.allows("https://speech.example.com", "speech.example.com:9090")
    assert default.allows("http://localhost:3000", "10.0.0.5:9090")
    assert default.allows("http://[::1]:8080", "10.0.0.5:9090") and default.allows("http://127.0.0.1", None)
    assert not default.allows("https://evil.example.net", "speech.example.com:9090")
    assert not default.allows("null", "speech.example.com")
    assert default.allows("chrome-extension://abcdefghijklmnop", "speech.example.com")
    assert default.allows("moz-extension://0b9a7c3e-1111-2222-3333-444455556666", "speech.example.com")
    listed = OriginPolicy.parse(["https://app.example.com, http://localhost:8000"])
    assert listed.allows("https://app.example.com/", "x") and listed.allows("http://localhost:8000", "x")
    assert not listed.allows("http://localhost:3000", "localhost:9090"), "a list replaces the default"
    assert OriginPolicy.parse(["*"]).allows("https://anything.example", "x")


def test_connection_limiter_counts_per_address():
    limiter = ConnectionLimiter(2)
    assert limiter.acquire("a") and limiter.acquire("a") and not limiter.acquire("a")
    assert limiter.acquire("b")
    limiter.release("a")
    assert limiter.acquire("a") and limiter.open_from("a") == 2
    unlimited = ConnectionLimiter(0)
    assert all(unlimited.acquire("a") for _ in range(100))


def test_rate_limiter_refills_evenly():
    now = [0.0]
    limiter = RateLimiter(60, clock=lambda: now[0])  # one a second, a burst of 60
    assert all(limiter.check("a")[0] for _ in range(60))
    allowed, retry = limiter.check("a")
    assert not allowed and retry == pytest.approx(1.0)
    assert limiter.check("b")[0], "each address has its own budget"
    now[0] += 1.0
    assert limiter.check("a")[0] and not limiter.check("a")[0]
    assert RateLimiter(0).check("a") == (True, 0.0)


def test_readiness_reports_why_it_refuses():
    ready = ServerState(loaded=True, draining=False, clients=1, max_clients=4, headroom=0.75)
    status, body = readiness(ready)
    assert status == 200 and json.loads(body) == {"status": "ready", "ready": True, "draining": False, "clients": 1,
                                                  "max_clients": 4, "headroom": 0.75}
    for state, expected in [(ServerState(True, True, 1, 4, 0.75), "draining"),
                            (ServerState(False, False, 0, 4, 1.0), "loading"),
                            (ServerState(True, False, 4, 4, 0.0, "server is at its limit of 4 clients"), "full")]:
        status, body = readiness(state)
        body = json.loads(body)
        assert status == 503 and body["status"] == expected and not body["ready"] and body["reason"]
        assert body["draining"] == state.draining and body["clients"] == state.clients
    assert liveness(ready)[0] == 200 and liveness(ServerState(False, False, 0, 4, 1.0))[0] == 503


def test_every_flag_reads_its_environment_variable_and_flags_win():
    env = {"WHISPER_LIVE_PORT": "9191", "WHISPER_LIVE_API_KEY": "k1,k2", "WHISPER_LIVE_NO_SINGLE_MODEL": "true",
           "WHISPER_LIVE_CORS_ORIGINS": "https://a.example", "WHISPER_LIVE_LOG_FORMAT": "json"}
    parser = with_environment(build_parser(), env)
    config = config_from_args(parser.parse_args([]))
    assert (config.port, config.api_keys, config.single_model, config.cors_origins) == \
        (9191, ("k1", "k2"), False, ("https://a.example",))
    args = parser.parse_args(["--port", "1", "--api_key", "k3", "--cors_origins", "https://b.example"])
    config = config_from_args(args)
    assert (config.port, config.api_keys, config.cors_origins) == (1, ("k3",), ("https://b.example",))
    assert args.log_format == "json"
    help_text = parser.format_help()
    assert "WHISPER_LIVE_MAX_CLIENTS" in help_text and "k1" not in help_text, "--help never shows a key"


def test_a_flag_added_later_gets_its_variable_and_bad_values_are_refused():
    parser = argparse.ArgumentParser()
    parser.add_argument("--rest-port", type=int, default=8000)
    parser.add_argument("--mode", choices=("a", "b"), default="a")
    assert with_environment(parser, {"WHISPER_LIVE_REST_PORT": "8123"}).parse_args([]).rest_port == 8123
    for env in ({"WHISPER_LIVE_REST_PORT": "x"}, {"WHISPER_LIVE_MODE": "c"}):
        parser = argparse.ArgumentParser()
        parser.add_argument("--rest-port", type=int, default=8000)
        parser.add_argument("--mode", choices=("a", "b"), default="a")
        with pytest.raises(SystemExit):
            with_environment(parser, env)


def test_json_log_lines():
    try:
        raise ValueError("boom")
    except ValueError:
        import sys
        record = logging.LogRecord("whisper_live.x", logging.ERROR, __file__, 1, "client %s left", ("c1",),
                                   sys.exc_info())
    line = JsonFormatter().format(record)
    entry = json.loads(line)
    assert "\n" not in line and entry["message"] == "client c1 left" and entry["level"] == "ERROR"
    assert entry["logger"] == "whisper_live.x" and "ValueError: boom" in entry["exception"]
    assert entry["time"].endswith("Z")


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


def test_gpu_series_from_nvml():
    from types import SimpleNamespace

    from prometheus_client import CollectorRegistry, generate_latest

    from whisper_live.server.ops.gpu_metrics import GpuCollector

    class FakeNvml:  # NVML's calls, as nvidia-ml-py names them, for one 80 GiB GPU
        nvmlDeviceGetCount = staticmethod(lambda: 1)
        nvmlDeviceGetHandleByIndex = staticmethod(lambda i: f"gpu{i}")
        nvmlDeviceGetName = staticmethod(lambda h: b"NVIDIA H100")
        nvmlDeviceGetMemoryInfo = staticmethod(lambda h: SimpleNamespace(used=2 ** 30, total=80 * 2 ** 30))
        nvmlDeviceGetUtilizationRates = staticmethod(lambda h: SimpleNamespace(gpu=37))

    registry = CollectorRegistry()
    registry.register(GpuCollector(FakeNvml))
    text = generate_latest(registry).decode()
    assert 'whisperlive_gpu_memory_used_bytes{gpu="0",name="NVIDIA H100"} 1.073741824e+09' in text
    assert 'whisperlive_gpu_utilization{gpu="0",name="NVIDIA H100"} 0.37' in text

    class Broken(FakeNvml):
        nvmlDeviceGetCount = staticmethod(lambda: (_ for _ in ()).throw(RuntimeError("GPU is lost")))

    broken = CollectorRegistry()
    broken.register(GpuCollector(Broken))
    assert "whisperlive_gpu_utilization gauge" in generate_latest(broken).decode(), "the scrape still works"


def test_status_paths_need_the_key_only_when_asked():
    from websockets.datastructures import Headers
    from websockets.http11 import Request

    from whisper_live.server.ops.endpoints import AccessPolicy, Endpoints

    state = ServerState(loaded=True, draining=True, clients=0, max_clients=4, headroom=1.0)

    def answer(endpoints, path, headers=(), method="GET"):
        connection = type("Connection", (), {"remote_address": ("10.0.0.9", 5000)})()
        return endpoints.process_request(connection, Request(path, Headers(list(headers)), method))

    guarded = Endpoints(lambda: state, Metrics(gpu=False), AccessPolicy(ApiKeys(["k"]), status_requires_key=True))
    bearer = [("Authorization", "Bearer k")]
    assert answer(guarded, "/health").status_code == 200
    assert answer(guarded, "/metrics").status_code == 401 and answer(guarded, "/ready").status_code == 401
    assert answer(guarded, "/metrics", bearer).status_code == 200
    ready = answer(guarded, "/ready", bearer)
    assert ready.status_code == 503 and json.loads(ready.body)["status"] == "draining"
    assert answer(guarded, "/ready", method="POST").status_code == 405
    assert answer(guarded, "/nothing/here").status_code == 404
    upgrade = [("Upgrade", "websocket"), ("Connection", "Upgrade")]
    assert answer(guarded, "/", upgrade).status_code == 401
    assert answer(guarded, "/?token=k", upgrade) is None, "the handshake goes on"
    refused = answer(guarded, "/?token=k", upgrade + [("Origin", "https://evil.example"), ("Host", "h:9090")])
    assert refused.status_code == 403
    open_status = Endpoints(lambda: state, Metrics(gpu=False), AccessPolicy(ApiKeys(["k"])))
    assert answer(open_status, "/metrics").status_code == 200 and answer(open_status, "/ready").status_code == 503


def test_a_repeatable_flag_of_anyone_replaces_its_variables_list():
    parser = argparse.ArgumentParser()
    parser.add_argument("--tag", action="append")
    parser = with_environment(parser, {"WHISPER_LIVE_TAG": "a, b"})
    assert parser.parse_args([]).tag == ["a", "b"]
    assert parser.parse_args(["--tag", "c", "--tag", "d"]).tag == ["c", "d"]
