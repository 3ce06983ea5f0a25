"""Speaker embeddings of 16 kHz audio: fbank features into CAM++ on onnxruntime, unit length, 192 numbers.

One :class:`SpeakerEmbedder` (one onnxruntime session, safe to run from several threads) serves every
session of a server. Clips of the same length are embedded in one batch.
"""

from __future__ import annotations

from pathlib import Path
from typing import Optional, Sequence

import numpy as np

from whisper_live.diarization.export import ensure_onnx
from whisper_live.diarization.fbank import fbank

MIN_SAMPLES = 8000  # 0.5 s: shorter clips say too little about a voice


class SpeakerEmbedder:
    def __init__(self, model_path: Optional[Path] = None, threads: int = 1):
        import onnxruntime

        options = onnxruntime.SessionOptions()
        options.inter_op_num_threads = 1
        options.intra_op_num_threads = threads
        options.log_severity_level = 3
        self._session = onnxruntime.InferenceSession(
            str(model_path or ensure_onnx()), sess_options=options, providers=["CPUExecutionProvider"])

    def embed(self, audio: np.ndarray) -> Optional[np.ndarray]:
        """The unit-length embedding of one clip, or None if it is shorter than MIN_SAMPLES."""
        if len(audio) < MIN_SAMPLES:
            return None
        return self.embed_batch([audio])[0]

    def embed_batch(self, clips: Sequence[np.ndarray]) -> np.ndarray:
        """(len(clips), 192) unit-length embeddings; clips of equal length share one model call."""
        out = np.zeros((len(clips), 192), dtype=np.float32)
        by_length: dict[int, list[int]] = {}
        for i, clip in enumerate(clips):
            by_length.setdefault(len(clip), []).append(i)
        for indices in by_length.values():
            features = np.stack([fbank(clips[i]) for i in indices])
            vectors = self._session.run(None, {"features": features})[0]
            out[indices] = vectors / np.maximum(np.linalg.norm(vectors, axis=1, keepdims=True), 1e-9)
        return out
