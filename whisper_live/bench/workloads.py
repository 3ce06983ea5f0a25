"""The workloads of BENCHMARKS.md, each one command of the load bench against a server it starts.

``python -m whisper_live.bench.workloads`` runs them all (or the ones named) and writes each run's JSON
to ``OUT/<workload>.json``: the bench's JSON line with the exact commands, the code's commit, the machine
and the software versions beside it. ``python -m whisper_live.bench.tables OUT`` turns those files into
BENCHMARKS.md's tables, so no figure is typed by hand. ``--smoke`` runs the same shapes cut down to a
few seconds and at most two clients of each kind, to check that everything starts (its figures mean
nothing).
"""

from __future__ import annotations

import argparse
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

REPO = Path(__file__).resolve().parents[2]
WHISPERLIVE_SCRIPT = REPO / "benchmarks" / "whisperlive.sh"
# The server as every workload runs it: admission off and room for every client, so that the bench
# measures the scheduler under the whole load rather than the WAITs that admission would answer.
SERVER_FLAGS = ("--max_clients", "64", "--no_admission_control")
SERVER = ("run_server.py", "--host", "127.0.0.1") + SERVER_FLAGS
SOFTWARE = ("faster-whisper", "ctranslate2", "onnxruntime", "websockets", "numpy",
            "openvino", "openvino-genai")
SMOKE = ("--duration", "12", "--no-offline")


@dataclasses.dataclass(frozen=True)
class Workload:
    name: str
    title: str                      # a run's row in BENCHMARKS.md ({speakers}: e.g. "8 speakers", in a ramp)
    bench: tuple                    # the load bench's arguments
    server: tuple = ()              # flags added to SERVER
    model: str = "tiny.en"
    kind: str = "whisper-live"      # whisper-live (this server) | openvino | whisperlive (collabora's)
    nodes: int = 1                  # above 1: that many servers behind HAProxy (scripts/cluster.sh run)

    def smoke(self) -> "Workload":
        """The same shape, a few seconds long, at most two clients of each kind."""
        args = list(self.bench)
        for flag in ("--duration", "--no-offline"):
            if flag in args:
                i = args.index(flag)
                del args[i:i + (1 if flag == "--no-offline" else 2)]
        for flag, most in (("--clients", 2), ("--silent", 2), ("--starts", 2)):
            if flag in args:
                i = args.index(flag) + 1
                args[i] = str(min(int(args[i]), most))
        if "--ramp" in args:
            args[args.index("--ramp") + 1] = "1,2"
        if "--silent-speaks" in args:
            args[args.index("--silent-speaks") + 1] = "5"
        if "--drop-every" in args:
            args[args.index("--drop-every") + 1] = "5"
        return dataclasses.replace(self, bench=tuple(args) + SMOKE)


# The load bench's figures on the LJ passage use each speaker's own start (--starts), so that a run
# samples where the windows fall instead of repeating one start 8 times (docs/benchmark.md).
TARGET = ("--target-max", "4")
# upload-8's file: three sets of ../shared/audio joined (bench.joined), made once by prepare()
UPLOAD_SETS = ("en/hifitts_6097", "en/librispeech", "en/cathy_arctic")
UPLOAD_FILE = str(Path.home() / ".cache" / "whisper-live" / "bench" / "ten_min.flac")
UPLOAD_REFERENCE = UPLOAD_FILE[:-len(".flac")] + ".txt"
RAMP = ("--ramp-all", "--duration", "90", "--seed", "1") + TARGET
WORKLOADS = (
    Workload("speakers-8", "8 speakers", ("--clients", "8", "--starts", "8", "--seed", "2") + TARGET),
    Workload("speakers-16", "{speakers}, 90 s", ("--ramp", "8,12,16") + RAMP),
    Workload("silent-12", "4 speaking + 12 silent",
             ("--clients", "4", "--silent", "12", "--starts", "4", "--seed", "1") + TARGET),
    Workload("silent-12-speaking", "4 speaking + 12 saying a phrase every 30 s",
             ("--clients", "4", "--silent", "12", "--silent-speaks", "30", "--starts", "4", "--seed", "1")
             + TARGET),
    Workload("silent-16", "16 silent, 60 s",
             ("--clients", "0", "--silent", "16", "--duration", "60", "--no-offline") + TARGET),
    Workload("drops-8", "8 speakers dropping every 20 s",
             ("--clients", "8", "--starts", "8", "--seed", "2", "--drop-every", "20") + TARGET),
    Workload("mixed", "8 speakers, mixed sets", ("--clients", "8", "--mixed", "--starts", "2") + TARGET),
    Workload("thread-per-client", "8 speakers, thread per client",
             ("--clients", "8", "--starts", "8", "--seed", "2") + TARGET, server=("--inference_mode", "locked")),
    Workload("base", "{speakers}, base, 90 s", ("--ramp", "1,2,4,8", "--offline-model", "base") + RAMP,
             server=("--faster_whisper_custom_model_path", "base"), model="base"),
    # Encoder inputs sized to the audio (docs/streaming.md, "Encoder input"), and Whisper's 30 s for comparison
    Workload("speakers-24", "24 speakers", ("--clients", "24", "--starts", "24", "--seed", "2",
                                            "--target-p90", "1.5", "--target-max", "3")),
    Workload("speakers-24-full-window", "24 speakers, 30 s encoder inputs",
             ("--clients", "24", "--starts", "24", "--seed", "2", "--target-p90", "1.5", "--target-max", "3"),
             server=("--full_encoder_input",)),
    Workload("base-8", "8 speakers, base", ("--clients", "8", "--starts", "8", "--seed", "2", "--offline-model", "base",
                                            "--target-p90", "2", "--target-max", "4"),
             server=("--faster_whisper_custom_model_path", "base"), model="base"),
    Workload("openvino", "{speakers}, OpenVINO, 90 s", ("--ramp", "1,2,4,8") + RAMP, kind="openvino"),
    Workload("whisperlive", "{speakers}, WhisperLive, 90 s", ("--ramp", "1,2,4,8") + RAMP, kind="whisperlive"),
    # the load of speakers-16 through HAProxy, to 2 servers sharing the cores (docs/scaling.md)
    # the 8 speakers while a 10-minute file of three other sets is transcribed through the OpenAI API
    Workload("upload-8", "8 speakers, a 10-minute file through the API",
             ("--clients", "8", "--starts", "8", "--seed", "2", "--upload", UPLOAD_FILE, "--upload-reference",
              UPLOAD_REFERENCE, "--api-url", "http://127.0.0.1:REST_PORT/v1") + TARGET,
             server=("--enable_rest", "--rest_port", "REST_PORT"), kind="upload"),
    Workload("haproxy-2", "{speakers}, 2 servers behind HAProxy, 90 s", ("--ramp", "8,12,16") + RAMP,
             server=("--inference_workers", "1", "--omp_num_threads", "1"), nodes=2),
)
BY_NAME = {w.name: w for w in WORKLOADS}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def server_command(workload: Workload, port: int, python: str = sys.executable,
                   openvino_dir: Optional[str] = None) -> str:
    if workload.kind == "whisperlive":
        return f"bash benchmarks/whisperlive.sh serve --port {port} --model {workload.model}"
    if workload.nodes > 1:
        # cluster.sh gives each server its host and port, and HAProxy the port the bench connects to
        return shlex.join(["bash", "scripts/cluster.sh", "run", str(workload.nodes), str(port),
                           *SERVER_FLAGS, *workload.server])
    flags = list(SERVER) + ["--port", str(port)] + list(workload.server)
    if workload.kind == "openvino":
        flags += ["--backend", "openvino", "--openvino_model_path", openvino_dir or "DIR"]
    return shlex.join([python] + flags)


def openvino_model(model: str) -> Path:
    """The bundled model converted to OpenVINO int8, converted once and cached (whisper_live.convert)."""
    from whisper_live.convert.openvino import convert_cached
    return convert_cached(model, "int8", log=lambda line: print(line, file=sys.stderr))


def prepare(workload: Workload) -> Optional[str]:
    """What a workload needs before its server starts: WhisperLive's venv, or the OpenVINO model's folder."""
    if workload.kind == "whisperlive":
        subprocess.run(["bash", str(WHISPERLIVE_SCRIPT), "setup"], check=True)
    if workload.kind == "openvino":
        return str(openvino_model(workload.model))
    if workload.kind == "upload" and not Path(UPLOAD_FILE).exists():
        upload_file()
    return None


def upload_file() -> None:
    """upload-8's file: the sets of UPLOAD_SETS joined one after the other, and its reference beside it."""
    import numpy as np
    import soundfile

    from whisper_live.bench.audio import join_folder, shared_audio_dir
    from whisper_live.protocol import SAMPLE_RATE

    shared = shared_audio_dir()
    if shared is None:
        raise SystemExit("upload-8 needs ../shared/audio beside the checkout")
    sets = [join_folder(shared, folder, 0.3) for folder in UPLOAD_SETS]
    Path(UPLOAD_FILE).parent.mkdir(parents=True, exist_ok=True)
    soundfile.write(UPLOAD_FILE, np.concatenate([s.audio for s in sets]), SAMPLE_RATE)
    Path(UPLOAD_REFERENCE).write_text(" ".join(s.reference for s in sets) + "\n", encoding="utf-8")


def machine() -> dict:
    info = {"cpus": os.cpu_count(), "platform": platform.platform(), "python": platform.python_version()}
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                info["cpu"] = line.split(":", 1)[1].strip()
                break
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal"):
                info["memory_gb"] = round(int(line.split()[1]) / 2**20, 1)
                break
        info["load_before"] = [round(x, 2) for x in os.getloadavg()]
    except OSError:
        pass
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


def run(workload: Workload, out: Path) -> dict:
    """One workload: the bench against a server it starts and stops; the record is written to OUT."""
    openvino_dir = prepare(workload)
    port = free_port()
    if workload.kind == "upload":
        rest_port = str(free_port())
        workload = dataclasses.replace(workload, bench=tuple(a.replace("REST_PORT", rest_port) for a in workload.bench),
                                       server=tuple(a.replace("REST_PORT", rest_port) for a in workload.server))
    server = server_command(workload, port, openvino_dir=openvino_dir)
    bench = [sys.executable, "-m", "whisper_live.bench", *workload.bench, "--port", str(port),
             "--spawn-server", server]
    print(f"== {workload.name}: {shlex.join(bench)}", file=sys.stderr, flush=True)
    record = {"workload": workload.name, "title": workload.title, "model": workload.model,
              "kind": workload.kind, "commit": commit(), "machine": machine(), "software": software(workload),
              "bench_command": shlex.join(["python", "-m", "whisper_live.bench", *workload.bench]),
              "server_command": server_command(workload, port, "python", openvino_dir),
              "started": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())}
    done = subprocess.run(bench, cwd=REPO, stdout=subprocess.PIPE, text=True)
    record["exit_code"] = done.returncode
    lines = [line for line in done.stdout.splitlines() if line.startswith("{")]
    record["result"] = json.loads(lines[-1]) if lines else None
    out.mkdir(parents=True, exist_ok=True)
    (out / f"{workload.name}.json").write_text(json.dumps(record, indent=1) + "\n")
    return record


def main(argv: Optional[list] = None) -> int:
    p = argparse.ArgumentParser(prog="python -m whisper_live.bench.workloads",
                                description="Run BENCHMARKS.md's workloads; each writes OUT/<workload>.json.")
    p.add_argument("names", nargs="*", help=f"workloads to run (default: all): {', '.join(BY_NAME)}")
    p.add_argument("--out", default=str(REPO / "benchmarks" / "results"), help="folder for the JSON files")
    p.add_argument("--smoke", action="store_true",
                   help="a few seconds, at most 2 clients of each kind: checks that each workload runs")
    p.add_argument("--list", action="store_true", help="print each workload's commands and exit")
    args = p.parse_args(argv)
    unknown = [n for n in args.names if n not in BY_NAME]
    if unknown:
        p.error(f"unknown workload {', '.join(unknown)}; choose from {', '.join(BY_NAME)}")
    chosen = [BY_NAME[n] for n in args.names] or list(WORKLOADS)
    if args.smoke:
        chosen = [w.smoke() for w in chosen]
    if args.list:
        for w in chosen:
            print(f"{w.name}: python -m whisper_live.bench {shlex.join(w.bench)} --port 9090 "
                  f"--spawn-server {shlex.quote(server_command(w, 9090, 'python'))}")
        return 0
    failed = []
    for w in chosen:
        record = run(w, Path(args.out))
        if record["result"] is None:
            failed.append(w.name)
    if failed:
        print(f"no result from: {', '.join(failed)}", file=sys.stderr)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
