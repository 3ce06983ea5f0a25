"""BENCHMARKS.md's haproxy-2 workload, smoke-tested on a short clip: the load bench against two servers
behind HAProxy that it starts (scripts/cluster.sh run) and stops, measuring all of them."""

import json
import os
import subprocess
import sys

from tests.server_process import ROOT, free_port
from whisper_live.bench.workloads import BY_NAME, server_command

SENTENCE = "The quick brown fox jumps over the lazy dog."


def test_the_bench_runs_through_haproxy_to_a_cluster_it_starts_and_stops(espeak, tmp_path):
    port = free_port()
    cluster = server_command(BY_NAME["haproxy-2"], port, sys.executable)
    env = dict(os.environ, CLUSTER_DIR=str(tmp_path / "cluster"), PYTHON=sys.executable,
               PYTHONPATH=str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", ""))
    done = subprocess.run([sys.executable, "-m", "whisper_live.bench", "--clients", "2", "--audio",
                           str(espeak(SENTENCE)), "--reference", SENTENCE, "--no-offline", "--quiet",
                           "--port", str(port), "--spawn-server", cluster],
                          cwd=ROOT, env=env, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr[-3000:]
    run = json.loads(done.stdout.strip().splitlines()[-1])["runs"][-1]
    # a smoke test: both clients served and transcribed (the cluster tests bound the WER)
    assert run["finished"] == 2 and run["final_latency_s"]["n"] >= 2 and run["wer"] < 1, run
    assert all(client["words"] >= 5 for client in run["per_client"]), run["per_client"]
    assert run["server"]["cpu_seconds"] > 0, run["server"]  # measured: the servers run under cluster.sh
    # each server served one client (leastconn), and everything stopped with the bench
    logs = [(tmp_path / "cluster" / f"node-{i}.log").read_text() for i in (1, 2)]
    assert [log.count(" connected (") for log in logs] == [1, 1]
    assert not (tmp_path / "cluster" / "processes").exists()
