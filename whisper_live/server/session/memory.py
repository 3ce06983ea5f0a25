"""Gives the memory ended sessions freed back to the operating system, where the C library allows it.

A session's buffers, model calls and connection threads allocate and free native memory (numpy,
onnxruntime, CTranslate2, websockets). By default glibc gives threads arenas of their own (up to eight per
core), and a per-thread arena keeps its free top for reuse: ``malloc_trim`` releases free pages of the main
heap and inside the bins, but never that top. As connection threads come and go their allocations spread
over the arenas, so the server's RSS climbed with every session (about 0.1 MB each with silent clients,
more with speech), in arena tops that held no allocation at all.

:func:`return_freed_memory_promptly` limits glibc to one arena at startup, before any thread allocates: all
freed memory is then in the main heap, where ``malloc_trim`` reaches it. (Python's allocation runs under
its global lock anyway, and CTranslate2's decoding measured the same speed with one arena or the default.)
Fixing the mmap and trim thresholds instead would also return memory, but every model call then maps or
trims its buffers afresh, which cost beam-search decoding 7-13 % of its speed. A user's own ``MALLOC_*`` or
``GLIBC_TUNABLES`` malloc settings are left as they are.

Sessions also end in reference cycles that only the cyclic collector frees. When the last session has
ended, :func:`release_free_memory` collects them and ``malloc_trim`` returns the free pages. Elsewhere
(another C library) only the collection happens.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import gc
import logging
import os

log = logging.getLogger(__name__)

M_ARENA_MAX = -8  # mallopt parameter (malloc.h)
USER_SETTINGS = ("MALLOC_ARENA_MAX", "MALLOC_ARENA_TEST", "MALLOC_TRIM_THRESHOLD_", "MALLOC_MMAP_THRESHOLD_",
                 "MALLOC_TOP_PAD_", "MALLOC_MMAP_MAX_")


def _glibc():
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
        return libc if hasattr(libc, "malloc_trim") and hasattr(libc, "mallopt") else None
    except OSError:
        return None


_LIBC = _glibc()


def user_configured_malloc(environ=os.environ) -> bool:
    """Whether the environment already configures glibc's malloc (then that is the user's choice)."""
    return any(name in environ for name in USER_SETTINGS) or "glibc.malloc." in environ.get("GLIBC_TUNABLES", "")


def return_freed_memory_promptly() -> bool:
    """One malloc arena for the whole process (call it before threads start); whether it was set."""
    if _LIBC is None or user_configured_malloc():
        return False
    ok = _LIBC.mallopt(M_ARENA_MAX, 1) == 1
    if not ok:
        log.warning("could not limit the C library to one malloc arena; freed memory may stay resident")
    return ok


def release_free_memory() -> bool:
    """Free the cyclic garbage of ended sessions, then return free heap pages to the OS; whether the C
    library could."""
    gc.collect()
    if _LIBC is None:
        return False
    _LIBC.malloc_trim(0)
    return True
