"""How fast this machine runs the bundled model: the figure that makes capacities comparable across machines.

The offline real-time factor of tiny.en (int8, beam 5, one CPU thread) on a fixed clip: the first
``CLIP_SECONDS`` of the bench's default audio (the LJ Speech passage of ../shared, else the espeak-ng
clip), in seconds of audio transcribed per second, best of two. A guest with AVX2 only runs at about 16x
real time, an AVX-512 one at about 26x; a capacity divided by this figure ("speakers per unit of
speed", whisper_live/bench/tables.py) compares servers on different machines. A few seconds per bench run.
"""

from __future__ import annotations

import time
from typing import Optional

from whisper_live.bench import audio as audio_mod

MODEL = "tiny.en"
COMPUTE_TYPE = "int8"
BEAM_SIZE = 5
CLIP_SECONDS = 20.0
RUNS = 2


def clip() -> audio_mod.Speech:
    """The fixed clip: the bench's default audio, cut to ``CLIP_SECONDS``."""
    speech = audio_mod.default_speech()
    cut = speech.audio[:int(CLIP_SECONDS * 16000)]
    return audio_mod.Speech(cut, None, speech.source, f"first {len(cut) / 16000:.0f} s")


def measure(speech: Optional[audio_mod.Speech] = None, runs: int = RUNS) -> dict:
    """The machine's speed (see the module docstring) and how it was measured."""
    from faster_whisper import WhisperModel

    from whisper_live.bench.offline import model_dir

    speech = speech or clip()
    model = WhisperModel(model_dir(MODEL), device="cpu", compute_type=COMPUTE_TYPE, cpu_threads=1, num_workers=1)
    seconds = []
    for _ in range(runs):
        started = time.perf_counter()
        segments, _info = model.transcribe(speech.audio, beam_size=BEAM_SIZE, language="en")
        for _segment in segments:  # (the generator runs the model)
            pass
        seconds.append(time.perf_counter() - started)
    return {"speed": round(speech.duration / min(seconds), 2), "model": MODEL, "compute_type": COMPUTE_TYPE,
            "beam_size": BEAM_SIZE, "threads": 1, "audio": f"{speech.source} ({speech.note})",
            "audio_s": round(speech.duration, 2), "seconds": round(min(seconds), 3)}


def measure_or_why(enabled: bool = True) -> dict:
    """The machine's speed, or ``{"skipped": why}`` when not asked for or not measurable (model or audio missing)."""
    if not enabled:
        return {"skipped": "--no-machine-speed"}
    try:
        return measure()
    except Exception as exc:  # the rest of a report stands without it
        return {"skipped": f"{type(exc).__name__}: {exc}"}


def describe(speed: Optional[dict]) -> str:
    """For the bench's table: "machine speed 16.6 (tiny.en int8 beam 5, one thread: audio s per s)"."""
    if not speed:
        return "machine speed: not measured"
    if "skipped" in speed:
        return f"machine speed: not measured ({speed['skipped']})"
    return (f"machine speed {speed['speed']:.1f} ({speed['model']} {speed['compute_type']} beam {speed['beam_size']}, "
            f"one thread, {speed['audio_s']:.0f} s of {speed['audio']}: audio seconds per second)")
