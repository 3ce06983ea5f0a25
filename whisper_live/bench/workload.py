"""One workload of BENCHMARKS.md: which bench module runs with which arguments against which server.

A :class:`Workload` is data: the bench module (the load bench ``whisper_live.bench``, or another bench
with a JSON line of its own: telephony, api_file, diarization), its arguments, the server's flags, and
how to cut it down for ``--smoke``. The commands it gives are built here; running them is
bench/workload_run.py's job, and the list of workloads is bench/workloads.py.

Placeholders in the arguments are filled when a workload runs: ``PORT`` (a whole argument, or the port
of a URL: ``ws://127.0.0.1:PORT``) by the server's WebSocket port, ``REST_PORT`` (anywhere in an argument) by its API's port. ``times_capacity``
makes a workload's ``--clients`` a multiple of the capacity another workload measured on the same
machine (its ``max_clients_meeting_target``).
"""

from __future__ import annotations

import dataclasses
import re
import shlex
import sys
from pathlib import Path
from typing import Optional

LOAD_BENCH = "whisper_live.bench"
# The server as every workload runs it: room for every client and admission off, so that the bench
# measures the scheduler under the whole load rather than the WAITs that admission would answer
# (a workload with ``admission=True`` keeps admission on).
MAX_CLIENTS = 64
SERVER_FLAGS = ("--max_clients", str(MAX_CLIENTS), "--no_admission_control")
SERVER = ("run_server.py", "--host", "127.0.0.1") + SERVER_FLAGS
SMOKE = ("--duration", "12", "--no-offline")
# A short clip with a reference in ../shared/audio, for the smoke runs of benches that take one file
SMOKE_CLIP = "../shared/audio/en/librispeech/1089-134686-0000.flac"


@dataclasses.dataclass(frozen=True)
class Module:
    port_flag: Optional[str]      # the bench's flag for the server's WebSocket port
    spawn_flag: Optional[str]     # its flag that starts and stops a server (else the runner does)
    reports_speed: bool           # its JSON line holds the machine's speed (``machine.speed``)


# How each bench module is pointed at the server its workload starts.
MODULES = {
    LOAD_BENCH: Module("--port", "--spawn-server", True),
    "whisper_live.bench.telephony": Module("--port", "--spawn-server", True),
    "whisper_live.bench.api_file": Module(None, "--spawn-server", False),  # --ws-port PORT, --api-url ...
    "whisper_live.bench.diarization": Module(None, None, False),
    "whisper_live.bench.throttled_link": Module(None, None, True),  # its server runs in its own namespace
}


@dataclasses.dataclass(frozen=True)
class Workload:
    name: str
    title: str                      # a run's row in BENCHMARKS.md ({speakers}: e.g. "8 speakers", in a ramp)
    bench: tuple                    # the bench module's arguments
    server: Optional[tuple] = ()    # flags added to SERVER; None: the bench needs no server
    model: str = "tiny.en"
    kind: str = "whisper-live"      # whisper-live (this server) | openvino | whisperlive (collabora's)
    nodes: int = 1                  # above 1: that many servers behind HAProxy (scripts/cluster.sh run)
    module: str = LOAD_BENCH
    admission: bool = False         # keep the server's admission control on
    times_capacity: Optional[tuple] = None  # (workload, k): --clients k x that workload's capacity

    def smoke(self) -> "Workload":
        """The same shape, a few seconds long, at most two clients (calls, readers) of each kind."""
        args = list(self.bench)
        if self.module == "whisper_live.bench.api_file":  # (the clip's reference: from ../shared's manifest)
            if "--reference" in args:
                del args[args.index("--reference"):args.index("--reference") + 2]
            return dataclasses.replace(self, bench=tuple(_set(_set(args, "--repeat", "1"), "--audio", SMOKE_CLIP)))
        if self.module == "whisper_live.bench.diarization":  # one conversation (two at once with --clients)
            seeds = ("--clients", "2", "--seeds", "0,1") if "--clients" in args else ("--seeds", "0")
            for flag, value in zip(seeds[::2], seeds[1::2]):
                args = _set(args, flag, value)
            return dataclasses.replace(self, bench=tuple(_set(args, "--turns", "2")))
        if self.module == "whisper_live.bench.throttled_link":
            return dataclasses.replace(self, bench=tuple(_set(_set(args, "--seconds", "12"), "--pcm-seconds", "6")))
        for flag in ("--duration", "--no-offline"):
            if flag in args:
                i = args.index(flag)
                del args[i:i + (1 if flag == "--no-offline" else 2)]
        for flag in ("--clients", "--silent", "--starts", "--calls", "--readers", "--stalled-readers"):
            if flag in args:
                i = args.index(flag) + 1
                args[i] = str(min(int(args[i]), 2))
        for flag, value in (("--ramp", "1,2"), ("--silent-speaks", "5"), ("--drop-every", "5")):
            if flag in args:
                args[args.index(flag) + 1] = value
        smoke = SMOKE if self.module == LOAD_BENCH else SMOKE[:2]
        if self.times_capacity:  # 2 clients, whatever the capacity measured
            args = ["--clients", "2", *args]
        return dataclasses.replace(self, bench=tuple(args) + smoke, times_capacity=None)

    def with_capacity(self, capacity: int) -> "Workload":
        """The workload with ``--clients`` filled from the capacity its ``times_capacity`` names."""
        if not self.times_capacity:
            return self
        clients = capacity * self.times_capacity[1]
        server = tuple(self.server or ())
        if clients > MAX_CLIENTS:
            server += ("--max_clients", str(clients))
        return dataclasses.replace(self, bench=("--clients", str(clients), *self.bench), server=server,
                                   times_capacity=None)

    def bind(self, port: int, rest_port: int) -> "Workload":
        """The placeholders filled: ``PORT`` (a whole argument, or a URL's port) and ``REST_PORT`` (anywhere)."""
        def fill(args):
            return tuple(re.sub(r"(^|:)PORT\b", rf"\g<1>{port}", a.replace("REST_PORT", str(rest_port)))
                         for a in args)
        return dataclasses.replace(self, bench=fill(self.bench), server=None if self.server is None
                                   else fill(self.server))

    def bench_command(self, python: str = "python") -> list:
        """The bench's command as a record shows it: without the port and server it is pointed at."""
        return [python, "-m", self.module, *self.bench]

    def bench_argv(self, port: int, server: Optional[str], python: str = sys.executable) -> list:
        """The bench's command as it runs: pointed at ``port``, starting ``server`` where it can."""
        module = MODULES[self.module]
        argv = self.bench_command(python)
        if module.port_flag and self.server is not None:
            argv += [module.port_flag, str(port)]
        if module.spawn_flag and server:
            argv += [module.spawn_flag, server]
        return argv


def _set(args: list, flag: str, value: str) -> list:
    """``args`` with ``flag``'s value set (appended when the flag is not there)."""
    args = list(args)
    if flag in args:
        args[args.index(flag) + 1] = value
    else:
        args += [flag, value]
    return args


def server_command(workload: Workload, port: int, python: str = sys.executable,
                   openvino_dir: Optional[str] = None) -> Optional[str]:
    """The command that starts the workload's server on ``port`` (None: it needs none)."""
    if workload.server is None:
        return None
    if workload.kind == "whisperlive":
        return shlex.join(["bash", "benchmarks/whisperlive.sh", "serve", "--port", str(port),
                           "--model", workload.model, *workload.server])
    flags = SERVER_FLAGS if not workload.admission else SERVER_FLAGS[:2]
    if workload.nodes > 1:
        # cluster.sh gives each server its host and port, and HAProxy the port the bench connects to
        return shlex.join(["bash", "scripts/cluster.sh", "run", str(workload.nodes), str(port),
                           *flags, *workload.server])
    args = list(SERVER[:3]) + list(flags) + ["--port", str(port)] + list(workload.server)
    if workload.kind == "openvino":
        args += ["--backend", "openvino", "--openvino_model_path", openvino_dir or "DIR"]
    return shlex.join([python] + args)


def parse_bench_args(workload: Workload, extra: tuple = ()):
    """The workload's arguments as its bench module parses them (SystemExit when they are not valid)."""
    import importlib

    module = importlib.import_module(workload.module + (".__main__" if workload.module == LOAD_BENCH else ""))
    return module.parse_args([*workload.bench, *extra])


def capacity_of(record: Optional[dict]) -> Optional[int]:
    """The capacity a workload's record measured: its ramp's largest count meeting the target."""
    result = (record or {}).get("result") or {}
    return result.get("max_clients_meeting_target") or None


def record_path(out: Path, name: str) -> Path:
    return out / f"{name}.json"
