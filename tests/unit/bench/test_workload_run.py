"""Running one workload (whisper_live/bench/workload_run.py) with the bench's process faked: the record,
the machine's family and speed, the server the runner starts itself, and sizing by a capacity."""

from __future__ import annotations

import json
import subprocess

import pytest

from tests.unit.bench.conftest import FAKE_SPEED
from whisper_live.bench import server_process, workload_run
from whisper_live.bench.workload import Workload

LINE = {"bench": "x", "machine": {"cpus": 2}, "accuracy": 0.97}


@pytest.fixture
def bench_runs(monkeypatch):
    """The bench's commands, answered by a process that prints a table line and the JSON line."""
    ran = []

    def execute(argv):
        ran.append(argv)
        return subprocess.CompletedProcess(argv, 0, stdout="some table\n" + json.dumps(LINE) + "\n")
    monkeypatch.setattr(workload_run, "execute", execute)
    return ran


def test_the_family_of_a_cpu_and_the_folder_of_its_results(tmp_path):
    assert workload_run.family(["avx2", "avx512f", "amx_tile"]) == "avx512"
    assert workload_run.family(["avx2", "avx512f"], "AMD EPYC") == "avx512-amd"
    assert workload_run.family(["avx2"]) == "avx2" and workload_run.family([]) == "other"
    assert workload_run.results_folder("avx512", tmp_path) == tmp_path
    assert workload_run.results_folder("avx2", tmp_path) == tmp_path / "avx2"
    machine = workload_run.machine()
    assert machine["family"] in workload_run.FAMILIES and machine["cpus"]


def test_a_bench_without_the_machine_speed_gets_it_measured_in_the_run(tmp_path, bench_runs):
    w = Workload("labels", "3 speakers", ("--conversation", "3"), server=None, module="whisper_live.bench.diarization")
    record = workload_run.run(w, tmp_path)
    assert bench_runs[0][1:] == ["-m", "whisper_live.bench.diarization", "--conversation", "3"]
    assert record["result"] == LINE and record["exit_code"] == 0
    assert record["machine"]["speed"] == FAKE_SPEED and record["machine"]["family"]
    assert record["bench_command"] == "python -m whisper_live.bench.diarization --conversation 3"
    assert record["server_command"] is None and "server_metrics" not in record
    assert json.loads((tmp_path / "labels.json").read_text()) == record


def test_a_bench_that_measures_the_speed_itself_is_pointed_at_the_server_it_starts(tmp_path, bench_runs):
    w = Workload("call", "1 call", ("--calls", "1"), server=("--telephony_callback_allow", "127.0.0.1"),
                 module="whisper_live.bench.telephony")
    record = workload_run.run(w, tmp_path)
    argv = bench_runs[0]
    port = argv[argv.index("--port") + 1]
    assert f"--port {port} --telephony_callback_allow 127.0.0.1" in argv[argv.index("--spawn-server") + 1]
    assert "speed" not in record["machine"] and record["module"] == "whisper_live.bench.telephony"


def test_a_bench_that_cannot_start_a_server_gets_one_started_and_stopped_around_it(tmp_path, bench_runs, monkeypatch):
    events = []

    class Spawned:
        def __init__(self, command, host, port, *args):
            events.append(("start", command, port))

        def __enter__(self):
            return self

        def stop(self):
            events.append(("stop",))
    monkeypatch.setattr(server_process, "SpawnedServer", Spawned)
    w = Workload("rest", "t", ("--rest", "http://127.0.0.1:REST_PORT/v1"), server=("--enable_rest", "--rest_port",
                 "REST_PORT"), module="whisper_live.bench.diarization")
    record = workload_run.run(w, tmp_path)
    rest_port = bench_runs[0][-1].split(":")[2].split("/")[0]
    assert events[0][0] == "start" and f"--rest_port {rest_port}" in events[0][1] and events[-1] == ("stop",)
    assert "--spawn-server" not in bench_runs[0] and record["server_command"].endswith(f"--rest_port {rest_port}")


def test_a_workload_sized_by_a_capacity_needs_that_capacity_measured_first(tmp_path, bench_runs):
    w = Workload("x3", "{speakers}", ("--mixed",), times_capacity=("capacity", 3))
    with pytest.raises(SystemExit, match="run capacity first"):
        workload_run.run(w, tmp_path)
    (tmp_path / "capacity.json").write_text(json.dumps({"result": {"max_clients_meeting_target": 5}}))
    record = workload_run.run(w, tmp_path)
    assert record["bench_command"].startswith("python -m whisper_live.bench --clients 15 --mixed")


def test_a_run_without_a_json_line_is_recorded_as_no_result(tmp_path, monkeypatch):
    monkeypatch.setattr(workload_run, "execute", lambda argv: subprocess.CompletedProcess(argv, 2, stdout="boom\n"))
    record = workload_run.run(Workload("l", "t", ("--clients", "1"), server=None), tmp_path)
    assert record["result"] is None and record["exit_code"] == 2
