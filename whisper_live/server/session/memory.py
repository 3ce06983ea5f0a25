"""Gives the memory ended sessions freed back to the operating system, where the C library allows it.

A session's buffers, model calls and connection threads allocate and free native memory (numpy,
onnxruntime, CTranslate2, thread stacks). glibc keeps freed blocks in its heaps and arenas for reuse, so a
server that served many sessions keeps their peak in its RSS although nothing is held any more. When the
last session has ended, ``malloc_trim`` returns those free pages. Elsewhere (another C library) nothing
happens.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import logging

log = logging.getLogger(__name__)


def _malloc_trim():
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
        return libc.malloc_trim
    except (OSError, AttributeError):
        return None


_TRIM = _malloc_trim()


def release_free_memory() -> bool:
    """Return free heap pages to the OS; whether the C library could."""
    if _TRIM is None:
        return False
    _TRIM(0)
    return True
