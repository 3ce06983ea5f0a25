"""Online clustering of speaker embeddings into speakers numbered in order of first appearance.

Semantics follow WhisperLive's options: an embedding joins the most similar speaker when its cosine
similarity reaches ``threshold`` (``diarization_threshold``); otherwise it starts a new speaker, unless
``max_speakers`` are already known, in which case it joins the most similar one. Three rules keep labels
stable while they are being sent live:

* A speaker's number, once given, never changes meaning: speakers are never merged or renumbered; a
  matched embedding only refines its speaker's centroid (a duration-weighted mean).
* Only an embedding of at least ``min_new_seconds`` of speech may start a new speaker (a short clip's
  embedding is noisy); a shorter one joins the most similar speaker.
* :meth:`Speakers.peek` answers without changing anything (for provisional labels on partial text).

Known speakers (voice references) are :meth:`Speakers.enroll`-ed first and take the first numbers.
"""

from __future__ import annotations

from typing import Optional

import numpy as np

DEFAULT_THRESHOLD = 0.55  # CAM++ cosine similarity; tuned with whisper_live/bench/diarization.py
DEFAULT_MAX_SPEAKERS = 10
MIN_NEW_SECONDS = 1.0


class Speakers:
    def __init__(self, threshold: float = DEFAULT_THRESHOLD, max_speakers: Optional[int] = None,
                 min_new_seconds: float = MIN_NEW_SECONDS):
        if max_speakers is not None and max_speakers < 1:
            raise ValueError("max_speakers must be at least 1")
        self.threshold = threshold
        self.max_speakers = max_speakers or DEFAULT_MAX_SPEAKERS
        self.min_new_seconds = min_new_seconds
        self._sums: list[np.ndarray] = []  # duration-weighted sums of each speaker's embeddings
        self._centroids: list[np.ndarray] = []

    def __len__(self) -> int:
        return len(self._centroids)

    def similarities(self, embedding: np.ndarray) -> np.ndarray:
        if not self._centroids:
            return np.zeros(0, dtype=np.float32)
        return np.stack(self._centroids) @ _unit(embedding)

    def peek(self, embedding: np.ndarray) -> Optional[int]:
        """The speaker ``embedding`` would join now, or None if it would start a new one."""
        sims = self.similarities(embedding)
        if len(sims) == 0:
            return None
        best = int(np.argmax(sims))
        if sims[best] >= self.threshold or len(sims) >= self.max_speakers:
            return best
        return None

    def assign(self, embedding: np.ndarray, seconds: float) -> int:
        """The speaker number of ``seconds`` of speech whose embedding this is (a new one if needed)."""
        embedding = _unit(embedding)
        sims = self.similarities(embedding)
        if len(sims) == 0:
            return self._add(embedding, seconds)
        best = int(np.argmax(sims))
        if sims[best] >= self.threshold:
            self._update(best, embedding, seconds)
            return best
        if len(sims) < self.max_speakers and seconds >= self.min_new_seconds:
            return self._add(embedding, seconds)
        return best

    def enroll(self, embedding: np.ndarray) -> int:
        """A known speaker from a voice reference: the next number, whatever its similarity to others."""
        return self._add(_unit(embedding), self.min_new_seconds)

    def _add(self, embedding: np.ndarray, seconds: float) -> int:
        self._sums.append(embedding * max(seconds, 1e-3))
        self._centroids.append(embedding)
        return len(self._centroids) - 1

    def _update(self, index: int, embedding: np.ndarray, seconds: float) -> None:
        self._sums[index] = self._sums[index] + embedding * max(seconds, 1e-3)
        self._centroids[index] = _unit(self._sums[index])


def _unit(vector: np.ndarray) -> np.ndarray:
    vector = np.asarray(vector, dtype=np.float32)
    return vector / max(float(np.linalg.norm(vector)), 1e-9)
