"""Running one workload: its server and bench started and stopped, and its record written with the machine.

The record (``OUT/<workload>.json``) is the bench's JSON line under ``result``, with the exact bench and
server commands, the code's commit, the machine (its CPU family, and its model speed measured in the same
run: by the bench, or here before it when the bench does not measure it) and the software versions. For
a server of this project, the quality ladder's final windows by rung, read from its /metrics during the
run, go under ``server_metrics``.

Results of different machines never share a folder: ``benchmarks/results/`` holds the first machine's
(an AVX-512 guest), and a machine of another CPU family writes to ``benchmarks/results/<family>/``
(:func:`results_folder`), so that each machine's figures stay together and compare only with each other.
"""

from __future__ import annotations

import dataclasses
import json
import os
import platform
import shlex
import socket
import subprocess
import sys
import time
from importlib import metadata
from pathlib import Path
from typing import Optional

from whisper_live.bench.workload import MODULES, Workload, capacity_of, record_path, server_command

REPO = Path(__file__).resolve().parents[2]
RESULTS = REPO / "benchmarks" / "results"
WHISPERLIVE_SCRIPT = REPO / "benchmarks" / "whisperlive.sh"
SOFTWARE = ("faster-whisper", "ctranslate2", "onnxruntime", "websockets", "numpy",
            "openvino", "openvino-genai")
# The CPU features that decide how fast the model runs, as /proc/cpuinfo names them
ISA_FLAGS = ("avx2", "avx512f", "avx512_vnni", "avx512_bf16", "amx_tile", "amx_int8")
FAMILIES = {"avx512": "AVX-512", "avx512-amd": "AVX-512, AMD", "avx2": "AVX2 only",
            "other": "neither AVX2 nor AVX-512"}
PRIMARY_FAMILY = "avx512"  # whose results are benchmarks/results/ itself
# upload-8's and the file workloads' file: three sets of ../shared/audio joined, made once by prepare()
UPLOAD_SETS = ("en/hifitts_6097", "en/librispeech", "en/cathy_arctic")
UPLOAD_FILE = str(Path.home() / ".cache" / "whisper-live" / "bench" / "ten_min.flac")
UPLOAD_REFERENCE = UPLOAD_FILE[:-len(".flac")] + ".txt"


def family(isa, cpu: str = "") -> str:
    """A CPU's family for its results' folder: ``avx512`` (Intel's; AMX guests have AVX-512 too),
    ``avx512-amd`` (AMD's AVX-512 guests, without AMX: kept apart from Intel's), ``avx2``,
    ``other``."""
    if "avx512f" in isa:
        return "avx512-amd" if "AMD" in cpu else "avx512"
    return "avx2" if "avx2" in isa else "other"


def results_folder(family_name: str, root: Path = RESULTS) -> Path:
    return root if family_name == PRIMARY_FAMILY else root / family_name


def machine() -> dict:
    info = {"cpus": os.cpu_count(), "platform": platform.platform(), "python": platform.python_version()}
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name") and "cpu" not in info:
                info["cpu"] = line.split(":", 1)[1].strip()
            if line.startswith("flags"):
                flags = set(line.split(":", 1)[1].split())
                info["isa"] = [f for f in ISA_FLAGS if f in flags]
                break
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal"):
                info["memory_gb"] = round(int(line.split()[1]) / 2**20, 1)
                break
        info["load_before"] = [round(x, 2) for x in os.getloadavg()]
    except OSError:
        pass
    info["family"] = family(info.get("isa", ()), info.get("cpu", ""))
    return info


def software(workload: Workload) -> dict:
    versions = {}
    for name in SOFTWARE:
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            pass
    if workload.kind == "whisperlive":
        versions["whisper-live (collabora)"] = os.environ.get("WHISPERLIVE_VERSION", "0.10.0")
    return versions


def commit() -> Optional[str]:
    try:
        sha = subprocess.run(["git", "rev-parse", "HEAD"], cwd=REPO, capture_output=True, text=True,
                             check=True).stdout.strip()
        dirty = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no"], cwd=REPO,
                               capture_output=True, text=True, check=True).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return None
    return sha + ("-dirty" if dirty else "")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def openvino_model(model: str) -> Path:
    """The bundled model converted to OpenVINO int8, converted once and cached (whisper_live.convert)."""
    from whisper_live.convert.openvino import convert_cached
    return convert_cached(model, "int8", log=lambda line: print(line, file=sys.stderr))


def prepare(workload: Workload) -> Optional[str]:
    """What a workload needs before its server starts: WhisperLive's venv, the OpenVINO model's folder,
    the joined file."""
    if workload.kind == "whisperlive":
        subprocess.run(["bash", str(WHISPERLIVE_SCRIPT), "setup"], check=True)
    if UPLOAD_FILE in workload.bench and not Path(UPLOAD_FILE).exists():
        upload_file()
    if workload.kind == "openvino":
        return str(openvino_model(workload.model))
    return None


def upload_file() -> None:
    """The sets of UPLOAD_SETS joined one after the other, and its reference beside it."""
    import numpy as np
    import soundfile

    from whisper_live.bench.audio import join_folder, shared_audio_dir
    from whisper_live.protocol import SAMPLE_RATE

    shared = shared_audio_dir()
    if shared is None:
        raise SystemExit("the joined file needs ../shared/audio beside the checkout")
    sets = [join_folder(shared, folder, 0.3) for folder in UPLOAD_SETS]
    Path(UPLOAD_FILE).parent.mkdir(parents=True, exist_ok=True)
    soundfile.write(UPLOAD_FILE, np.concatenate([s.audio for s in sets]), SAMPLE_RATE)
    Path(UPLOAD_REFERENCE).write_text(" ".join(s.reference for s in sets) + "\n", encoding="utf-8")


def with_capacity(workload: Workload, out: Path) -> Workload:
    """A workload sized by another's capacity, sized from that workload's record in ``out``."""
    if not workload.times_capacity:
        return workload
    name = workload.times_capacity[0]
    path = record_path(out, name)
    capacity = capacity_of(json.loads(path.read_text())) if path.exists() else None
    if not capacity:
        raise SystemExit(f"{workload.name} needs the capacity {name} measured on this machine: "
                         f"run {name} first (into {out})")
    return workload.with_capacity(capacity)


def execute(argv: list) -> subprocess.CompletedProcess:
    """The bench's process; its stdout is captured, its stderr (the table, progress) goes through."""
    return subprocess.run(argv, cwd=REPO, stdout=subprocess.PIPE, text=True)


def run(workload: Workload, out: Path) -> dict:
    """One workload: the bench against a server started and stopped for it; the record is written to OUT."""
    from whisper_live.bench import machine_speed
    from whisper_live.bench.server_counters import MetricsPoller
    from whisper_live.bench.server_process import SpawnedServer

    workload = with_capacity(workload, out)
    openvino_dir = prepare(workload)
    port, rest_port = free_port(), free_port()
    workload = workload.bind(port, rest_port)
    module = MODULES[workload.module]
    server = server_command(workload, port, openvino_dir=openvino_dir)
    argv = workload.bench_argv(port, server)
    print(f"== {workload.name}: {shlex.join(argv)}", file=sys.stderr, flush=True)
    record = {"workload": workload.name, "title": workload.title, "model": workload.model,
              "kind": workload.kind, "module": workload.module, "commit": commit(), "machine": machine(),
              "software": software(workload), "bench_command": shlex.join(workload.bench_command()),
              "server_command": server_command(workload, port, "python", openvino_dir),
              "started": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())}
    if not module.reports_speed:
        record["machine"]["speed"] = machine_speed.measure_or_why()
    spawned = SpawnedServer(server, "127.0.0.1", port) if server and not module.spawn_flag else None
    poller = None
    if server and workload.kind == "whisper-live" and workload.nodes == 1:
        poller = MetricsPoller(f"http://127.0.0.1:{port}/metrics").start()
    try:
        if spawned is not None:
            spawned.__enter__()
        done = execute(argv)
    finally:
        counters = poller.stop() if poller is not None else None
        if spawned is not None:
            spawned.stop()
    record["exit_code"] = done.returncode
    lines = [line for line in done.stdout.splitlines() if line.startswith("{")]
    record["result"] = json.loads(lines[-1]) if lines else None
    if counters:
        record["server_metrics"] = counters
    out.mkdir(parents=True, exist_ok=True)
    record_path(out, workload.name).write_text(json.dumps(record, indent=1) + "\n")
    return record


def listing(workload: Workload) -> str:
    """A workload's commands, for ``--list``."""
    if workload.times_capacity:
        name, k = workload.times_capacity
        clients = ("--clients", f"<{k} x the capacity of {name}>")
        workload = dataclasses.replace(workload, bench=(*clients, *workload.bench), times_capacity=None)
    bound = workload.bind(9090, 8000)
    server = server_command(bound, 9090, "python")
    text = shlex.join(bound.bench_argv(9090, server if MODULES[bound.module].spawn_flag else None, "python"))
    if server and not MODULES[bound.module].spawn_flag:
        text += f"   (server: {server})"
    return f"{workload.name}: {text}"
