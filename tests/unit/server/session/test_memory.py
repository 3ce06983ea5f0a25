"""Tests of whisper_live/server/session/memory.py: freed native memory leaves the process's RSS."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from whisper_live.server.session import memory

ROOT = Path(__file__).resolve().parents[4]

# A large block freed on the main thread (glibc then raises its thresholds to its size), then a thread
# fills and frees a smaller block and ends, and malloc_trim runs: how many MB of RSS the thread left.
SCRIPT = """
import sys, threading, numpy as np
from whisper_live.server.session import memory
def rss_mb():
    return int([l for l in open("/proc/self/status") if l.startswith("VmRSS")][0].split()[1]) / 1024
if sys.argv[1] == "one arena":
    assert memory.return_freed_memory_promptly()
big = np.ones(16 << 18, np.float32)  # 16 MB
del big
before = rss_mb()
def session():
    block = np.ones(8 << 18, np.float32)  # 8 MB
    del block
thread = threading.Thread(target=session)
thread.start()
thread.join()
memory.release_free_memory()
print(rss_mb() - before)
"""


def thread_leftover_mb(mode: str) -> float:
    env = {k: v for k, v in os.environ.items() if k not in memory.USER_SETTINGS and k != "GLIBC_TUNABLES"}
    env["PYTHONPATH"] = str(ROOT)
    out = subprocess.run([sys.executable, "-c", SCRIPT, mode], env=env, capture_output=True, text=True,
                         timeout=60, check=True)
    return float(out.stdout.split()[-1])


glibc_only = pytest.mark.skipif(memory._LIBC is None or not Path("/proc/self/status").exists(),
                                reason="glibc on Linux only")


@glibc_only
def test_a_threads_freed_block_stays_resident_with_glibcs_dynamic_thresholds():
    # the behaviour the fix is for: without it, the ended thread's own arena keeps the block
    assert thread_leftover_mb("dynamic") > 6


@glibc_only
def test_with_one_arena_a_threads_freed_block_leaves_the_process():
    assert thread_leftover_mb("one arena") < 2


def test_the_users_own_malloc_settings_are_kept():
    assert memory.user_configured_malloc({"MALLOC_ARENA_MAX": "2"})
    assert memory.user_configured_malloc({"MALLOC_TRIM_THRESHOLD_": "1"})
    assert memory.user_configured_malloc({"GLIBC_TUNABLES": "glibc.malloc.trim_threshold=65536"})
    assert not memory.user_configured_malloc({"PATH": "/bin", "GLIBC_TUNABLES": "glibc.pthread.rseq=0"})
