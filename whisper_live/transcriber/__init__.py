"""Inference backends behind one interface (:mod:`whisper_live.transcriber.base`).

Each backend module is imported only when it is asked for, so a missing optional dependency of one backend
never stops another from starting. :func:`load_transcriber` turns a missing package into
:class:`BackendUnavailable` with the pip command to run.
"""

from __future__ import annotations

import importlib

from whisper_live.transcriber.base import BackendUnavailable, RawSegment, Request, Result, Transcriber

BACKENDS = ("faster_whisper", "openvino", "tensorrt")
_CLASSES = {  # (module, class) of each backend's transcriber
    "faster_whisper": ("whisper_live.transcriber.faster_whisper_backend", "FasterWhisperTranscriber"),
    "openvino": ("whisper_live.transcriber.openvino_backend", "OpenVINOTranscriber"),
    "tensorrt": ("whisper_live.transcriber.tensorrt_backend", "TensorRTTranscriber"),
}

_INSTALL_HINTS = {
    "faster_whisper": "pip install faster-whisper==1.2.0 requests",
    "openvino": "pip install -r requirements/openvino.txt "
                "(openvino==2026.4.1 openvino-genai==2026.4.1.0 openvino-tokenizers==2026.4.1.0)",
    # never used: the tensorrt backend imports nothing optional and refuses to start (tensorrt_backend.py)
    "tensorrt": "the tensorrt backend is not available in this release; use --backend faster_whisper",
}


def load_transcriber(backend: str, model_path: str, *, model_name: str = "", cpu_threads: int = 1,
                     num_workers: int = 1, device: str = "auto", **options) -> Transcriber:
    """Load ``model_path`` with ``backend``; raises BackendUnavailable naming the package to install."""
    if backend not in BACKENDS:
        raise ValueError(f"unknown backend {backend!r}: choose one of {', '.join(BACKENDS)}")
    try:
        if backend == "faster_whisper":
            from whisper_live.transcriber.faster_whisper_backend import FasterWhisperTranscriber

            if device == "auto":
                device = ctranslate2_device()
            return FasterWhisperTranscriber(model_path, model_name=model_name, device=device,
                                            cpu_threads=cpu_threads, num_workers=num_workers, **options)
        if backend == "openvino":
            from whisper_live.transcriber.openvino_backend import OpenVINOTranscriber

            return OpenVINOTranscriber(model_path, cpu_threads=cpu_threads, num_workers=num_workers)
        from whisper_live.transcriber.tensorrt_backend import TensorRTTranscriber

        return TensorRTTranscriber(model_path, **options)
    except ImportError as exc:
        raise BackendUnavailable(
            f"the {backend} backend needs a package that is not installed ({exc.name or exc}): "
            f"{_INSTALL_HINTS[backend]}"
        ) from None


def continues_mid_window(backend: str) -> bool:
    """Whether ``backend``'s transcriber can start its answer mid-window (``Transcriber.continues_mid_window``),
    known before any model loads: each backend module imports its packages only when a model loads."""
    if backend not in _CLASSES:
        return False
    module, name = _CLASSES[backend]
    return bool(getattr(getattr(importlib.import_module(module), name), "continues_mid_window", False))


def ctranslate2_device() -> str:
    """The device the faster_whisper backend loads its models on: ``cuda`` when CTranslate2 sees a GPU."""
    try:
        import ctranslate2

        return "cuda" if ctranslate2.get_cuda_device_count() > 0 else "cpu"
    except Exception:
        return "cpu"


__all__ = ["BACKENDS", "BackendUnavailable", "RawSegment", "Request", "Result", "Transcriber", "continues_mid_window",
           "ctranslate2_device", "load_transcriber"]
