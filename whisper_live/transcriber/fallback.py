"""Whisper's rules for a decoded answer that should not be kept, shared by the backends.

An answer whose text compresses too well (gzip ratio above 2.4) is a repetition loop; the backends then
decode again by sampling at rising temperatures. The thresholds are Whisper's own.
"""

from __future__ import annotations

import zlib

COMPRESSION_RATIO_THRESHOLD = 2.4
FALLBACK_TEMPERATURES = (0.2, 0.4, 0.6)
# Seed of the sampling the fallback does, so that the same audio gives the same text from run to run.
FALLBACK_SEED = 1


def compression_ratio(text: str) -> float:
    """Bytes of ``text`` over bytes of its zlib compression."""
    data = text.encode("utf-8")
    return len(data) / max(1, len(zlib.compress(data)))


def repeats_itself(text: str) -> bool:
    """Whether ``text`` is a repetition loop (Whisper's gzip-ratio test)."""
    return compression_ratio(text) > COMPRESSION_RATIO_THRESHOLD
