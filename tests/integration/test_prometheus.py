"""Debian's Prometheus scrapes a live server while a client streams; the final latency is read back.

The test starts ``/usr/bin/prometheus`` with the shipped deploy/prometheus.yml pointed at the server's
``--metrics_port`` (1 s scrapes, its own storage folder, a free port) and stops it at the end.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import time
import urllib.parse
import urllib.request
from pathlib import Path

import numpy as np
import pytest
import yaml

from tests.server_process import ROOT, ServerProcess, free_port
from tests.ws_session import load_audio, stream
from whisper_live.server.ops.metrics import Metrics

PROMETHEUS = "/usr/bin/prometheus"
SENTENCE = "Please call Stella and ask her to bring these things with her from the store."


@pytest.fixture(scope="module")
def server():
    metrics_port = free_port()
    server = ServerProcess("--metrics_port", str(metrics_port))
    server.metrics_port = metrics_port
    yield server
    server.stop()


@pytest.fixture(scope="module")
def prometheus(server, tmp_path_factory):
    if not Path(PROMETHEUS).exists():
        pytest.fail("Debian's prometheus is not installed (apt-get install prometheus): scripts/test.sh installs it")
    folder = tmp_path_factory.mktemp("prometheus")
    config = yaml.safe_load((ROOT / "deploy" / "prometheus.yml").read_text())
    config["global"]["scrape_interval"] = "1s"
    config["scrape_configs"][0]["static_configs"][0]["targets"] = [f"127.0.0.1:{server.metrics_port}"]
    (folder / "prometheus.yml").write_text(yaml.safe_dump(config))
    port = free_port()
    log = open(folder / "prometheus.log", "w")
    process = subprocess.Popen(
        [PROMETHEUS, f"--config.file={folder / 'prometheus.yml'}", f"--storage.tsdb.path={folder / 'data'}",
         f"--web.listen-address=127.0.0.1:{port}"], stdout=log, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                with urllib.request.urlopen(f"{url}/-/ready", timeout=2) as reply:
                    if reply.status == 200:
                        break
            except OSError:
                pass
            assert process.poll() is None, (folder / "prometheus.log").read_text()[-2000:]
            assert time.monotonic() < deadline, "prometheus did not become ready"
            time.sleep(0.3)
        yield url
    finally:
        process.terminate()
        try:
            process.wait(10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        log.close()
        shutil.copy(folder / "prometheus.log", ROOT / "test-artifacts" / "prometheus.log")


def query(prometheus: str, expression: str) -> list:
    with urllib.request.urlopen(f"{prometheus}/api/v1/query?" + urllib.parse.urlencode({"query": expression}),
                                timeout=10) as reply:
        answer = json.load(reply)
    assert answer["status"] == "success", answer
    return answer["data"]["result"]


def test_prometheus_reads_the_final_latency_of_a_streaming_client(server, prometheus, espeak):
    audio = load_audio(espeak(SENTENCE))
    audio = np.concatenate([np.zeros(8000, np.float32), audio, np.zeros(16000, np.float32)])
    outcome = stream(server.url, audio, language="en")
    assert outcome.text, "the client got no transcript"
    expression = 'whisperlive_final_latency_seconds_count{job="whisper-live"}'
    deadline = time.monotonic() + 60
    while not (result := query(prometheus, expression)) or float(result[0]["value"][1]) < 1:
        assert time.monotonic() < deadline, f"Prometheus never saw a final: {result}"
        time.sleep(1)
    series = result[0]["metric"]
    assert (series["backend"], series["model"]) == ("faster_whisper", "tiny.en")
    assert series["instance"] == f"127.0.0.1:{server.metrics_port}"
    p90 = query(prometheus, 'histogram_quantile(0.9, sum by (le) (whisperlive_final_latency_seconds_bucket))')
    assert 0 < float(p90[0]["value"][1]) < 60
    assert query(prometheus, 'up{job="whisper-live"}')[0]["value"][1] == "1"


def test_the_dashboard_reads_only_metrics_the_server_exposes():
    dashboard = json.loads((ROOT / "deploy" / "grafana" / "whisper-live-dashboard.json").read_text())
    exposed = set(re.findall(r"^# TYPE (\S+) (\S+)", Metrics().exposition()[0].decode(), re.M))
    names = {name for name, _ in exposed}
    names |= {f"{name}{suffix}" for name, kind in exposed if kind == "histogram" for suffix in ("_bucket", "_count", "_sum")}
    names |= {f"{name}_total" for name, kind in exposed if kind == "counter"}
    used = {m for panel in dashboard["panels"] for target in panel["targets"]
            for m in re.findall(r"\b((?:whisperlive|process)_[a-z_]+)", target["expr"])}
    assert used and used <= names, used - names
    assert {"whisperlive_final_latency_seconds_bucket", "whisperlive_admission_headroom"} <= used
