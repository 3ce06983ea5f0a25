"""Waiting, in unit tests, for what another thread does: until a condition holds, or the test fails."""

import time


def wait_until(condition, timeout: float = 10.0, every: float = 0.01) -> None:
    """Return once ``condition()`` is true; fail the test after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(every)
