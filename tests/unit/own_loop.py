"""Run a coroutine on an event loop of its own, on a thread of its own.

``asyncio.run`` refuses to start where the calling thread's loop is marked running. In the full suite an
earlier test can leave the main thread so (not yet traced); unit tests of asyncio code run here instead, so
that they test their code and not what ran before them.
"""

import asyncio
import concurrent.futures


def run_on_own_loop(coroutine, timeout: float = 60.0):
    """``asyncio.run(coroutine)`` on a new thread; its result (or its exception)."""
    with concurrent.futures.ThreadPoolExecutor(1) as pool:
        return pool.submit(asyncio.run, coroutine).result(timeout=timeout)
