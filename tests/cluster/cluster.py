"""scripts/cluster.sh driven from the tests: servers behind HAProxy on 127.0.0.1, and what HAProxy says."""

from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

from tests.server_process import ROOT, free_port

SCRIPT = ROOT / "scripts" / "cluster.sh"
# What deploy/haproxy/haproxy.cfg sets: a health check every INTER s, down after FALL failures; the agent
# asked every AGENT_INTER s. The tests read them from the file, so that they follow it.
CFG = (ROOT / "deploy" / "haproxy" / "haproxy.cfg").read_text()


def _seconds(name: str) -> float:
    value = re.search(rf"default-server .*\b{name} (\d+)(ms|s)\b", CFG)
    return int(value.group(1)) / (1000 if value.group(2) == "ms" else 1)


INTER = _seconds("inter")
AGENT_INTER = _seconds("agent-inter")
FALL = int(re.search(r"default-server .*\bfall (\d+)", CFG).group(1))


@dataclass
class Process:
    kind: str
    pid: int
    port: int


class Cluster:
    """``scripts/cluster.sh up N PORT *flags`` in its own folder; ``down()`` stops it."""

    def __init__(self, folder: Path, nodes: int, *flags: str, timeout: float = 300.0):
        self.folder = Path(folder)
        self.env = dict(os.environ, CLUSTER_DIR=str(self.folder), PYTHON=sys.executable,
                        PYTHONPATH=str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", ""))
        self.port = free_port()
        done = subprocess.run(["bash", str(SCRIPT), "up", str(nodes), str(self.port), *flags], env=self.env,
                              capture_output=True, text=True, timeout=timeout)
        if done.returncode != 0:
            self.down()
            raise RuntimeError(f"cluster.sh up failed ({done.returncode}): {done.stderr}")
        self.processes = [Process(kind, int(pid), int(port))
                          for kind, pid, port in (line.split() for line in done.stdout.splitlines())]
        self.nodes = [p for p in self.processes if p.kind == "node"]
        self.haproxy = next(p for p in self.processes if p.kind == "haproxy")

    @property
    def url(self) -> str:
        return f"ws://127.0.0.1:{self.port}"

    def down(self) -> None:
        subprocess.run(["bash", str(SCRIPT), "down"], env=self.env, timeout=300, check=True)

    def node_log(self, i: int) -> str:
        """The log of node ``i`` (from 1, in the order cluster.sh printed them)."""
        return (self.folder / f"node-{i}.log").read_text()

    def connected_uids(self, i: int) -> list[str]:
        return re.findall(r"client (\S+) connected", self.node_log(i))

    def node_of(self, uid: str, timeout: float = 10.0) -> int:
        """The node (from 1) whose log says client ``uid`` connected (it logs that just after its reply)."""
        deadline = time.monotonic() + timeout
        while True:
            found = [i for i in range(1, len(self.nodes) + 1) if uid in self.connected_uids(i)]
            if found or time.monotonic() > deadline:
                assert len(found) == 1, f"client {uid} found on nodes {found}"
                return found[0]
            time.sleep(0.05)

    def command(self, line: str) -> str:
        """HAProxy's answer to one command on its runtime API (e.g. ``show stat``)."""
        with socket.socket(socket.AF_UNIX) as s:
            s.settimeout(5)
            s.connect(str(self.folder / "haproxy.sock"))
            s.sendall(line.encode() + b"\n")
            data = b""
            while chunk := s.recv(65536):
                data += chunk
        return data.decode()

    def servers(self) -> dict[str, dict]:
        """HAProxy's ``show stat`` of each server of the backend, by name (node1, wait1, ...)."""
        lines = self.command("show stat").splitlines()
        header = lines[0].lstrip("# ").split(",")
        rows = (dict(zip(header, line.split(","))) for line in lines[1:] if line)
        return {r["svname"]: r for r in rows if r["svname"] not in ("FRONTEND", "BACKEND")}

    def wait_for(self, what, timeout: float, every: float = 0.1) -> float:
        """Seconds until ``what(self.servers())`` holds; AssertionError after ``timeout``."""
        start = time.monotonic()
        while True:
            servers = self.servers()
            if what(servers):
                return time.monotonic() - start
            if time.monotonic() - start > timeout:
                raise AssertionError(f"not within {timeout} s: " + "; ".join(
                    f"{name} {r['status']} w{r['weight']} {r.get('last_agt', '')}" for name, r in servers.items()))
            time.sleep(every)
