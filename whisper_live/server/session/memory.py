"""Gives the memory ended sessions freed back to the operating system, where the C library allows it.

A session's buffers, model calls and connection threads allocate and free native memory (numpy,
onnxruntime, CTranslate2, websockets). Each connection's threads allocate from one of glibc's per-thread
arenas (up to eight per core). Two glibc behaviours keep freed memory resident there:

* the dynamic mmap threshold: once a large block served by ``mmap`` is freed, glibc raises its mmap
  threshold to that size and its trim threshold to twice it (up to 32 and 64 MB), so later blocks of that
  size are carved from the arenas, and an arena keeps a free top of up to the trim threshold;
* ``malloc_trim`` releases the top of the main heap and free pages inside the bins, but never the free top
  of a per-thread arena.

Together these made the server's RSS climb with every session (about 0.2 MB each, in arena tops that held
no allocation at all) towards a ceiling of arenas x trim threshold. :func:`return_freed_memory_promptly`
fixes both thresholds at startup: blocks up to :data:`MMAP_THRESHOLD` come from the arenas (where the
dynamic threshold ends up anyway: mapping each model call's buffers afresh instead costs CTranslate2 a
quarter of its speed in page faults), and an arena gives back a free top larger than
:data:`TRIM_THRESHOLD` as soon as it is freed. A user's own ``MALLOC_*`` or ``GLIBC_TUNABLES`` malloc
settings are left as they are.

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

M_TRIM_THRESHOLD = -1  # mallopt parameters (malloc.h)
M_MMAP_THRESHOLD = -3
MMAP_THRESHOLD = 32 * 1024 * 1024  # the largest the dynamic threshold reaches on 64-bit glibc
TRIM_THRESHOLD = 1024 * 1024  # a free arena top larger than this goes back to the OS
USER_SETTINGS = ("MALLOC_TRIM_THRESHOLD_", "MALLOC_MMAP_THRESHOLD_", "MALLOC_TOP_PAD_", "MALLOC_MMAP_MAX_")


def _glibc():
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
        return libc if hasattr(libc, "malloc_trim") and hasattr(libc, "mallopt") else None
    except OSError:
        return None


_LIBC = _glibc()


def user_configured_malloc(environ=os.environ) -> bool:
    """Whether the environment already sets glibc malloc's thresholds (then they are the user's choice)."""
    return any(name in environ for name in USER_SETTINGS) or "glibc.malloc." in environ.get("GLIBC_TUNABLES", "")


def return_freed_memory_promptly() -> bool:
    """Fix glibc's mmap and trim thresholds (no dynamic change); whether they were set."""
    if _LIBC is None or user_configured_malloc():
        return False
    ok = _LIBC.mallopt(M_MMAP_THRESHOLD, MMAP_THRESHOLD) == 1
    ok = _LIBC.mallopt(M_TRIM_THRESHOLD, TRIM_THRESHOLD) == 1 and ok
    if not ok:
        log.warning("could not fix the C library's malloc thresholds; freed memory may stay resident")
    return ok


def release_free_memory() -> bool:
    """Free the cyclic garbage of ended sessions, then return free heap pages to the OS; whether the C
    library could."""
    gc.collect()
    if _LIBC is None:
        return False
    _LIBC.malloc_trim(0)
    return True
