"""The server under test: its CPU and memory sampled while the clients run, or the whole process when
the benchmark starts it itself (``--spawn-server``)."""

from __future__ import annotations

import os
import shlex
import signal
import socket
import subprocess
import tempfile
import threading
import time
from dataclasses import dataclass
from typing import Optional

clock = time.monotonic


@dataclass
class Sample:
    t: float
    cpu: float  # CPU seconds (user + system) of the server and its child processes
    rss: int  # bytes


class ServerWatch:
    """Samples a server process (and its children): CPU seconds and resident memory."""

    def __init__(self, pid: int, interval: float = 0.25):
        import psutil

        self._psutil = psutil
        self.process = psutil.Process(pid)
        self.interval = interval
        self.peak_rss = 0
        self.samples: list[Sample] = []  # since start(): when memory stood where, for a long run's timeline
        self._stop = threading.Event()
        self._thread: Optional[threading.Thread] = None

    def sample(self) -> Sample:
        psutil = self._psutil
        procs = [self.process]
        try:
            procs += self.process.children(recursive=True)
        except psutil.Error:
            pass
        cpu, rss = 0.0, 0
        for proc in procs:
            try:
                with proc.oneshot():
                    times = proc.cpu_times()
                    cpu += times.user + times.system
                    rss += proc.memory_info().rss
            except psutil.Error:
                continue  # a child that just ended
        self.peak_rss = max(self.peak_rss, rss)
        sample = Sample(clock(), cpu, rss)
        self.samples.append(sample)
        return sample

    def start(self) -> None:
        self.peak_rss = 0
        self.samples = []
        self._stop.clear()
        self._thread = threading.Thread(target=self._loop, name="bench-server-watch", daemon=True)
        self._thread.start()

    def _loop(self) -> None:
        while not self._stop.wait(self.interval):
            try:
                self.sample()
            except self._psutil.Error:
                return

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=5)


def rss_at(samples: list[Sample], t: float) -> Optional[float]:
    """Resident memory (MB) of the last sample taken at or before clock time ``t``."""
    before = [sample for sample in samples if sample.t <= t]
    return round(before[-1].rss / 2**20, 1) if before else None


def cpu_percent(a: Sample, b: Sample) -> Optional[float]:
    """CPU used between two samples as % of one core."""
    wall = b.t - a.t
    return round(100.0 * (b.cpu - a.cpu) / wall, 1) if wall > 0 else None


class SpawnedServer:
    """``--spawn-server CMD``: start it, wait for its port, stop it at the end."""

    def __init__(self, command: str, host: str, port: int, start_timeout: float = 180.0):
        self.command = command
        self.host, self.port = host, port
        self.start_timeout = start_timeout
        self.log_file = tempfile.NamedTemporaryFile(prefix="wl-bench-server-", suffix=".log", delete=False)
        self.process: Optional[subprocess.Popen] = None

    def __enter__(self) -> "SpawnedServer":
        if port_open(self.host, self.port):
            raise RuntimeError(f"{self.host}:{self.port} is already in use; stop that server or pick --port")
        _exit_on_sigterm()
        self.process = self._spawn()
        deadline = clock() + self.start_timeout
        while clock() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"the server exited with code {self.process.returncode} before listening; "
                                   f"its output:\n{self.output_tail()}")
            if port_open(self.host, self.port):
                return self
            time.sleep(0.2)
        self.stop()
        raise RuntimeError(f"the server did not listen on {self.host}:{self.port} within "
                           f"{self.start_timeout:g} s; its output:\n{self.output_tail()}")

    def _spawn(self) -> subprocess.Popen:
        # In a session of its own, so that its process group is exactly what this benchmark started, and
        # with Ctrl-C at its default: a bench run as a background job of a script has SIGINT ignored, which
        # the command would inherit (a shell cannot even trap it then), and stop() begins with Ctrl-C.
        return subprocess.Popen(shlex.split(self.command), stdout=self.log_file, stderr=subprocess.STDOUT,
                                start_new_session=True, preexec_fn=_default_sigint)

    def __exit__(self, *exc) -> None:
        self.stop()

    @property
    def pid(self) -> int:
        assert self.process is not None
        return self.process.pid

    def stop(self) -> None:
        if self.process is None:
            return
        # The command runs in a session of its own (start_new_session), so its process group is exactly
        # the processes this benchmark started. Ctrl-C first (servers shut down cleanly on it), then
        # SIGTERM, then SIGKILL.
        if self.process.poll() is None:
            for sig, wait in ((signal.SIGINT, 5.0), (signal.SIGTERM, 5.0), (signal.SIGKILL, 10.0)):
                self._signal(sig)
                try:
                    self.process.wait(timeout=wait)
                    break
                except subprocess.TimeoutExpired:
                    continue
        self._stop_group()

    def _stop_group(self) -> None:
        """Whatever the command left of its process group once it exited (a script that started servers
        in the background and ended without stopping them): SIGTERM, then SIGKILL."""
        for sig in (signal.SIGTERM, signal.SIGKILL):
            if not _group_alive(self.process.pid):
                return
            self._signal(sig)
            deadline = clock() + 5.0
            while clock() < deadline and _group_alive(self.process.pid):
                time.sleep(0.1)

    def _signal(self, sig: int) -> None:
        assert self.process is not None
        try:
            os.killpg(self.process.pid, sig)
        except (ProcessLookupError, PermissionError):
            try:
                self.process.send_signal(sig)
            except ProcessLookupError:
                pass

    def output_tail(self, chars: int = 3000) -> str:
        self.log_file.flush()
        with open(self.log_file.name, "rb") as f:
            return f.read()[-chars:].decode("utf-8", "replace")


def _exit_on_sigterm() -> None:
    """A bench that is sent SIGTERM (a runner's timeout, ``kill``) exits through its ``finally`` blocks, which
    stop the server it spawned; by default SIGTERM would end it at once and leave that server running in its
    own session. Only from the main thread, and only where SIGTERM still has its default action."""
    if threading.current_thread() is threading.main_thread() and signal.getsignal(signal.SIGTERM) == signal.SIG_DFL:
        signal.signal(signal.SIGTERM, _raise_exit)


def _raise_exit(signum, _frame) -> None:
    raise SystemExit(128 + signum)


def _default_sigint() -> None:
    """(In the spawned child, before it runs the command.) Ctrl-C interrupts, as in a terminal."""
    signal.signal(signal.SIGINT, signal.SIG_DFL)


def _group_alive(pgid: int) -> bool:
    """Whether any process (not a zombie) is left in process group ``pgid``."""
    try:
        os.killpg(pgid, 0)
    except (ProcessLookupError, PermissionError):
        return False
    if not os.path.isdir("/proc"):
        return True  # (zombies cannot be told apart here)
    for entry in os.listdir("/proc"):
        stat = proc_stat(int(entry)) if entry.isdigit() else None
        if stat is not None and stat[0] != "Z" and int(stat[2]) == pgid:
            return True
    return False


def proc_stat(pid: int) -> Optional[list[str]]:
    """The fields of ``/proc/PID/stat`` after the command's name (state, parent, process group, ...);
    None when there is no such process."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().rsplit(")", 1)[1].split()
    except OSError:
        return None


def port_open(host: str, port: int) -> bool:
    try:
        with socket.create_connection((host, port), timeout=0.5):
            return True
    except OSError:
        return False


def command_port(command: str) -> Optional[int]:
    """The port a server command names (``--port N`` or ``--port=N``); None when it names none."""
    words = shlex.split(command)
    for i, word in enumerate(words):
        if word == "--port" and i + 1 < len(words) and words[i + 1].isdigit():
            return int(words[i + 1])
        if word.startswith("--port=") and word[7:].isdigit():
            return int(word[7:])
    return None
