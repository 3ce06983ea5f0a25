"""Stopping a server the load bench spawned (``--spawn-server``): everything it started ends, Ctrl-C first."""

import signal
import subprocess
import time

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
