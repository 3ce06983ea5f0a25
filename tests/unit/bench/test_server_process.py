"""The server the load bench measures (whisper_live/bench/server_process.py): its CPU and memory while the
bench runs, and stopping one the bench spawned (``--spawn-server``): everything it started ends, Ctrl-C
first."""

import os
import signal
import subprocess
import time

import pytest

from tests.unit.bench.fake_server import FakeServer, run
from whisper_live.bench import server_process


def test_stopping_a_spawned_server_ends_what_its_command_left_running(tmp_path):
    # a script that starts a process in the background and ends without stopping it (as a cluster script
    # that died mid-way would): stopping the spawned server still ends every process of its group
    pid_file = tmp_path / "child.pid"
    server = server_process.SpawnedServer("unused", "127.0.0.1", 1)
    server.process = subprocess.Popen(["bash", "-c", f"sleep 60 & echo $! > {pid_file}; exit 0"],
                                      start_new_session=True)
    server.process.wait(timeout=10)
    child = int(pid_file.read_text())
    assert _running(child)
    server.stop()
    assert not _running(child)


def test_a_spawned_server_gets_ctrl_c_even_when_the_bench_ignores_it():
    # a bench started as a background job of a script has SIGINT ignored; the server command it spawns
    # must still be stopped by Ctrl-C first (a shell that inherits SIGINT ignored cannot trap it)
    server = server_process.SpawnedServer("bash -c 'trap \"exit 7\" INT; while :; do sleep 0.1; done'",
                                          "127.0.0.1", 1)
    previous = signal.signal(signal.SIGINT, signal.SIG_IGN)
    try:
        server.process = server._spawn()
    finally:
        signal.signal(signal.SIGINT, previous)
    time.sleep(0.5)  # (the shell sets its trap)
    server.stop()
    assert server.process.returncode == 7  # the trap ran: not stopped by SIGTERM or SIGKILL


def _running(pid: int) -> bool:
    """Whether ``pid`` is a live process (a zombie waiting to be reaped is not)."""
    stat = server_process.proc_stat(pid)
    return stat is not None and stat[0] != "Z"


def test_server_watch_measures_cpu_and_memory():
    with FakeServer() as server:
        watch = server_process.ServerWatch(os.getpid(), interval=0.1)
        result = run(server.port, 1, 2.0, watch=watch)
    srv = result.server
    assert srv["pid"] == os.getpid()
    assert srv["rss_before_mb"] > 10 and srv["rss_peak_mb"] >= srv["rss_before_mb"] * 0.9
    assert srv["rss_connected_mb"] is not None and srv["rss_per_client_mb"] is not None
    assert srv["cpu_percent"] is not None and 0.0 <= srv["cpu_percent"] < 400
    assert srv["cpu_percent_per_client"] == pytest.approx(srv["cpu_percent"] - srv["idle_cpu_percent"], abs=0.02)


def test_the_port_a_server_command_names():
    assert server_process.command_port("python run_server.py --host 127.0.0.1 --port 9390 --max_clients 16") == 9390
    assert server_process.command_port("python run_server.py --port=9391") == 9391
    assert server_process.command_port("python run_server.py --max_clients 16") is None


BENCH_THAT_SPAWNS = """
import sys, time
from whisper_live.bench import server_process
with server_process.SpawnedServer(sys.argv[1], "127.0.0.1", int(sys.argv[2]), 30):
    print("listening", flush=True)
    time.sleep(60)
"""


def test_a_bench_sent_sigterm_stops_the_server_it_spawned(tmp_path):
    import socket
    import sys

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    pid_file = tmp_path / "server.pid"
    command = (f"{sys.executable} -c \"import os, socket, time; open('{pid_file}', 'w').write(str(os.getpid())); "
               f"s = socket.create_server(('127.0.0.1', {port})); time.sleep(60)\"")
    bench = subprocess.Popen([sys.executable, "-c", BENCH_THAT_SPAWNS, command, str(port)], stdout=subprocess.PIPE,
                             text=True, cwd=os.getcwd())
    try:
        assert bench.stdout.readline().strip() == "listening"
        spawned = int(pid_file.read_text())
        assert _running(spawned)
        bench.send_signal(signal.SIGTERM)
        assert bench.wait(timeout=30) == 128 + signal.SIGTERM
        deadline = time.monotonic() + 10
        while _running(spawned) and time.monotonic() < deadline:
            time.sleep(0.1)
        assert not _running(spawned)
    finally:
        bench.kill()
        bench.wait()
