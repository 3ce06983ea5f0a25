"""scripts/bench_cluster.sh, smoke-tested on a short clip: one server, then two behind HAProxy, same load."""

import json
import os
import subprocess
import sys

from tests.server_process import ROOT


def test_the_benchmark_runs_against_one_server_and_through_haproxy(espeak, tmp_path):
    clip = espeak("The quick brown fox jumps over the lazy dog.")
    env = dict(os.environ, PYTHON=sys.executable, BENCH_OUT=str(tmp_path),
               PYTHONPATH=str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", ""))
    done = subprocess.run(["bash", str(ROOT / "scripts" / "bench_cluster.sh"), "2", "--clients", "2",
                           "--audio", str(clip), "--reference", "The quick brown fox jumps over the lazy dog.",
                           "--no-offline", "--quiet"], env=env, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr[-3000:]
    lines = done.stdout.strip().splitlines()
    single, through = (json.loads(line) for line in lines[:2])
    assert through["config"]["server"] != single["config"]["server"]
    for doc in (single, through):
        run = doc["runs"][-1]
        assert run["finished"] == 2 and run["final_latency_s"]["n"] >= 2, run
    assert lines[-1].startswith("one server: final p50 ") and "2 servers behind HAProxy" in lines[-1]
    # both nodes served one client each (leastconn), and cluster.sh down stopped them
    logs = [(tmp_path / "cluster" / f"node-{i}.log").read_text() for i in (1, 2)]
    assert [log.count(" connected (") for log in logs] == [1, 1]
    assert not (tmp_path / "cluster" / "processes").exists()
