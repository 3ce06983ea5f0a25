"""One workload's commands (whisper_live/bench/workload.py): placeholders, sizing by a capacity, smoke
shapes, and how each bench module is pointed at its server."""

from __future__ import annotations

import shlex

from whisper_live.bench.workload import MAX_CLIENTS, Workload, capacity_of, server_command

API_FILE = "whisper_live.bench.api_file"


def test_placeholders_are_filled_with_the_ports_of_the_run():
    w = Workload("w", "t", ("--ws-port", "PORT", "--api-url", "http://127.0.0.1:REST_PORT/v1", "--x", "SUPPORT"),
                 server=("--rest_port", "REST_PORT"), module=API_FILE)
    bound = w.bind(9000, 8000)
    assert bound.bench == ("--ws-port", "9000", "--api-url", "http://127.0.0.1:8000/v1", "--x", "SUPPORT")
    assert bound.server == ("--rest_port", "8000")
    assert Workload("n", "t", ("--a",), server=None).bind(1, 2).server is None


def test_a_workload_sized_by_a_capacity_gets_that_many_clients_and_room_for_them():
    w = Workload("x3", "t", ("--mixed",), times_capacity=("capacity", 3))
    assert w.with_capacity(5).bench == ("--clients", "15", "--mixed")
    assert w.with_capacity(5).times_capacity is None
    big = w.with_capacity(30)
    assert big.bench[:2] == ("--clients", "90") and big.server[-2:] == ("--max_clients", "90")
    assert 90 > MAX_CLIENTS
    assert w.smoke().bench[:2] == ("--clients", "2") and w.smoke().times_capacity is None
    assert Workload("a", "t", ("--clients", "1")).with_capacity(5).bench == ("--clients", "1")
    assert capacity_of({"result": {"max_clients_meeting_target": 6}}) == 6
    assert capacity_of({"result": {"max_clients_meeting_target": None}}) is None and capacity_of(None) is None


def test_the_server_keeps_admission_on_when_asked_and_a_serverless_bench_gets_none():
    on = shlex.split(server_command(Workload("a", "t", (), admission=True), 9000, "python"))
    off = shlex.split(server_command(Workload("b", "t", ()), 9000, "python"))
    assert "--no_admission_control" in off and "--no_admission_control" not in on
    assert on[on.index("--max_clients") + 1] == "64" and on[on.index("--port") + 1] == "9000"
    assert server_command(Workload("c", "t", (), server=None), 9000) is None


def test_each_bench_module_is_pointed_at_its_server_its_own_way():
    load = Workload("l", "t", ("--clients", "1"))
    assert load.bench_argv(9000, "SRV", "py") == ["py", "-m", "whisper_live.bench", "--clients", "1",
                                                 "--port", "9000", "--spawn-server", "SRV"]
    phone = Workload("p", "t", ("--calls", "1"), module="whisper_live.bench.telephony")
    assert phone.bench_argv(9000, "SRV", "py")[-4:] == ["--port", "9000", "--spawn-server", "SRV"]
    api = Workload("f", "t", ("--ws-port", "9000"), module=API_FILE)
    assert api.bench_argv(9000, "SRV", "py") == ["py", "-m", API_FILE, "--ws-port", "9000", "--spawn-server", "SRV"]
    labels = Workload("d", "t", ("--conversation", "3"), server=None, module="whisper_live.bench.diarization")
    assert labels.bench_argv(9000, None, "py") == ["py", "-m", "whisper_live.bench.diarization", "--conversation", "3"]
    assert labels.bench_command() == ["python", "-m", "whisper_live.bench.diarization", "--conversation", "3"]


def test_smoke_cuts_other_benches_to_seconds():
    phone = Workload("p", "t", ("--calls", "8", "--tracks", "both"), module="whisper_live.bench.telephony").smoke()
    assert phone.bench == ("--calls", "2", "--tracks", "both", "--duration", "12")
    labels = Workload("d", "t", ("--conversation", "3"), server=None, module="whisper_live.bench.diarization")
    assert labels.smoke().bench == ("--conversation", "3", "--seeds", "0", "--turns", "2")
    live = Workload("d8", "t", ("--live", "ws://127.0.0.1:PORT", "--clients", "8"), module="whisper_live.bench.diarization")
    assert live.smoke().bench == ("--live", "ws://127.0.0.1:PORT", "--clients", "2", "--seeds", "0,1", "--turns", "2")
    readers = Workload("r", "t", ("--clients", "1", "--readers", "1000", "--stalled-readers", "10")).smoke()
    assert readers.bench[:6] == ("--clients", "1", "--readers", "2", "--stalled-readers", "2")


def test_the_servers_port_fills_a_whole_argument_or_a_urls_port():
    w = Workload("w", "t", ("--port", "PORT", "--live", "ws://127.0.0.1:PORT", "--rest", "http://127.0.0.1:REST_PORT/v1"),
                 server=("--rest_port", "REST_PORT"))
    bound = w.bind(9000, 8000)
    assert bound.bench == ("--port", "9000", "--live", "ws://127.0.0.1:9000", "--rest", "http://127.0.0.1:8000/v1")
    assert bound.server == ("--rest_port", "8000")
