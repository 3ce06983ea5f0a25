"""Which CTranslate2 compute type each kind of work runs with: the one given, or chosen by timing this machine.

CTranslate2 loads a model with one compute type; a server may load the same model more than once, with a
different compute type for each kind of work (:data:`WORKS`): partial windows, final windows and whole
files (the REST API). ``--compute_type`` gives one type for all; ``auto`` (the default) times a few windows
of each kind with each type this machine can run (:func:`measure`: a fixed amount of work, a few seconds
for tiny.en, cached per model and machine in the cache directory) and chooses by :func:`choose`:

* partial windows: the fastest type (they are replaced within a second; their latency is what counts);
* final windows: the most precise type that costs at most ``FINAL_COST_LIMIT`` (1.1x) the fastest's time:
  finals hold the latency targets on every speaker's every utterance, and under load the quality ladder
  (whisper_live/ladder.py) spends what they cost; a type that is as good as free is still taken;
* files: the most precise type that costs at most ``FILE_COST_LIMIT`` (1.3x) the fastest's time (the REST
  transcript is judged by its accuracy, and waits for the whole file anyway).

Precision, from the least: the int8 types (int8 weights; ``int8`` is ``int8_float32`` on a CPU), float16,
float32 (the model's own weights, when they are stored in float16 or float32). Offline beam 5 of tiny.en
on the held-out mix, on an AVX2-only guest: int8 WER 0.0608 in 10.3 s, float32 0.0507 in 13.3 s (1.29x).
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import logging
import math
import os
import platform
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Optional

import numpy as np

log = logging.getLogger(__name__)

COMPUTE_TYPES = ("auto", "int8", "int8_float32", "float32", "float16")
WORKS = ("partial", "final", "file")
PRECISION = {"int8": 0, "int8_float32": 0, "int8_float16": 0, "float16": 1, "float32": 2}
# The types ``auto`` times on each device (int8_float32 is int8 on a CPU: timing it again would tell nothing)
CANDIDATES = {"cpu": ("int8", "float32"), "cuda": ("int8", "float16", "float32")}
FILE_COST_LIMIT = 1.3
FINAL_COST_LIMIT = 1.1
COST_LIMITS = {"partial": 1.0, "final": FINAL_COST_LIMIT, "file": FILE_COST_LIMIT}
REPEATS = 2  # each timing is the shortest of this many (other work on the machine only adds time)
CACHE_FILE = "compute_types.json"
LOCK_FILE = "compute_types.lock"

# The fixed work timed for each kind (audio seconds, beam size, tokens decoded, going on from context):
# a partial window of 3 s; a final of 3 s going on from 20 s of context; a file's 30 s window.
PROBES = {"partial": (3.0, 1, 12, False), "final": (23.0, 5, 15, True), "file": (30.0, 5, 60, False)}


@dataclass(frozen=True)
class Choice:
    """The compute type of one kind of work, and why."""

    compute_type: str
    reason: str


def unusable_reason(compute_type: str, device: str) -> Optional[str]:
    """Why ``compute_type`` cannot serve on ``device`` (None: it can)."""
    if compute_type not in COMPUTE_TYPES:
        return f"unknown compute type {compute_type!r}: choose one of {', '.join(COMPUTE_TYPES)}"
    if compute_type == "float16" and device != "cuda":
        return ("--compute_type float16 needs a CUDA GPU, and CTranslate2 sees none on this machine: "
                "use auto, int8, int8_float32 or float32")
    return None


def given(compute_type: str) -> dict[str, Choice]:
    """Every kind of work with the one ``compute_type`` given."""
    return {work: Choice(compute_type, "given (--compute_type)") for work in WORKS}


def choose(timings: dict[str, dict[str, float]]) -> dict[str, Choice]:
    """The compute type of each kind of work, from ``timings[compute_type][work]`` (seconds), by the rules
    of the module docstring."""
    choices = {}
    for work in WORKS:
        times = {t: timings[t][work] for t in timings}
        fastest = min(times, key=lambda t: (times[t], -PRECISION.get(t, 0)))
        limit = COST_LIMITS[work]
        affordable = [t for t in times if times[t] <= limit * times[fastest]]
        best = max(affordable, key=lambda t: (PRECISION.get(t, 0), -times[t]))
        if best == fastest:
            reason = "fastest" if len(times) > 1 else "the only one timed"
        else:
            reason = f"more precise at {times[best] / times[fastest]:.2f}x the time of {fastest} (at most {limit:g}x)"
        choices[work] = Choice(best, reason)
    return choices


def describe(choices: dict[str, Choice]) -> str:
    """For the log: "partial int8 (fastest), final int8 (fastest), file float32 (more precise at ...)"."""
    return ", ".join(f"{work} {c.compute_type} ({c.reason})" for work, c in choices.items())


# --- timing ------------------------------------------------------------------------------------------------

def probe(transcriber, work: str) -> None:
    """Run the fixed work of one window of ``work`` on ``transcriber`` (a FasterWhisperTranscriber)."""
    seconds, beam_size, tokens, continued = PROBES[work]
    audio = np.random.default_rng(0).normal(0.0, 0.05, int(seconds * 16000)).astype(np.float32)
    transcriber.decode_fixed(audio, beam_size, tokens, continued)


def measure(loaded: dict, repeats: int = REPEATS,
            clock: Callable[[], float] = time.perf_counter) -> dict[str, dict[str, float]]:
    """Seconds each kind of work takes with each of the ``loaded`` transcribers (by compute type): the
    shortest of ``repeats`` timings, the types taking turns so that a passing load on the machine falls on
    all of them alike; after one untimed window each."""
    for transcriber in loaded.values():
        probe(transcriber, "partial")
    timings = {t: {work: math.inf for work in WORKS} for t in loaded}
    for _ in range(repeats):
        for compute_type, transcriber in loaded.items():
            for work in WORKS:
                started = clock()
                probe(transcriber, work)
                timings[compute_type][work] = min(timings[compute_type][work], clock() - started)
    return timings


def machine_key(model_path: str, device: str, cpu_threads: int) -> str:
    """What a timing depends on: the model (its weights file's size and time), the device, the threads per
    call, CTranslate2's version and the processor (its name and instruction set flags)."""
    import ctranslate2

    weights = Path(model_path) / "model.bin"
    stat = weights.stat() if weights.exists() else None
    model = f"{Path(model_path).resolve()}:{stat.st_size}:{int(stat.st_mtime)}" if stat else str(model_path)
    processor = _processor()
    return "|".join([model, device, str(cpu_threads), ctranslate2.__version__,
                     hashlib.sha256(processor.encode()).hexdigest()[:16]])


def _processor() -> str:
    """The processor's name and flags (Linux), else what the platform says."""
    try:
        lines = Path("/proc/cpuinfo").read_text().splitlines()
        wanted = [line for line in lines if line.startswith(("model name", "flags"))][:2]
        if wanted:
            return "\n".join(wanted)
    except OSError:
        pass
    return f"{platform.machine()} {platform.processor()}"


def cached_timings(cache_dir: Path, key: str) -> Optional[dict]:
    try:
        entry = json.loads((cache_dir / CACHE_FILE).read_text()).get(key)
    except (OSError, ValueError):
        return None
    return entry.get("timings") if isinstance(entry, dict) else None


def store_timings(cache_dir: Path, key: str, timings: dict) -> None:
    """Keep ``timings`` under ``key`` in the cache file (written whole, then renamed: never half a file)."""
    path = cache_dir / CACHE_FILE
    try:
        entries = json.loads(path.read_text())
    except (OSError, ValueError):
        entries = {}
    entries[key] = {"timings": timings, "measured": time.strftime("%Y-%m-%dT%H:%M:%S")}
    try:
        cache_dir.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile("w", dir=cache_dir, suffix=".tmp", delete=False) as out:
            json.dump(entries, out, indent=1)
        os.replace(out.name, path)
    except OSError as exc:
        log.warning("could not keep the compute type timings in %s: %s", path, exc)


@contextlib.contextmanager
def _measuring(cache_dir: Path):
    """Hold the cache directory's lock file (POSIX; elsewhere, and where it cannot be created, no lock): a
    server that starts while another times the machine waits, then reads that one's timings."""
    try:
        import fcntl

        cache_dir.mkdir(parents=True, exist_ok=True)
        lock = open(cache_dir / LOCK_FILE, "w")
    except (ImportError, OSError):
        yield
        return
    with lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        yield


def resolve(compute_type: str, device: str, load: Callable[[str], object], cache_dir: Path, model_path: str,
            cpu_threads: int = 1, supported: Optional[set] = None) -> tuple[dict[str, Choice], dict]:
    """(the choice for each kind of work, the transcribers they need by compute type): ``load(type)`` loads
    one. With ``auto``, timings come from the cache, else are measured now (and cached)."""
    reason = unusable_reason(compute_type, device)
    if reason:
        raise ValueError(reason)
    if compute_type != "auto":
        return given(compute_type), {compute_type: load(compute_type)}
    candidates = [t for t in CANDIDATES.get(device, CANDIDATES["cpu"]) if supported is None or t in supported]
    key = machine_key(model_path, device, cpu_threads)
    loaded: dict = {}
    with _measuring(cache_dir):  # servers starting together (a cluster's nodes) time the machine once
        timings = cached_timings(cache_dir, key)
        if timings is None or set(timings) != set(candidates):
            started = time.monotonic()
            loaded = {t: load(t) for t in candidates}
            timings = measure(loaded)
            store_timings(cache_dir, key, timings)
            log.info("compute types timed in %.1f s (kept in %s): %s", time.monotonic() - started,
                     cache_dir / CACHE_FILE, _timings_text(timings))
        else:
            log.info("compute type timings of this model and machine from %s: %s", cache_dir / CACHE_FILE,
                     _timings_text(timings))
    choices = choose(timings)
    needed = {c.compute_type for c in choices.values()}
    for unused in sorted(set(loaded) - needed):
        loaded.pop(unused).close()
    for missing in sorted(needed - set(loaded)):
        loaded[missing] = load(missing)
    return choices, loaded


def _timings_text(timings: dict) -> str:
    return "; ".join(f"{t}: " + ", ".join(f"{w} {s * 1000:.0f} ms" for w, s in works.items())
                     for t, works in timings.items())
