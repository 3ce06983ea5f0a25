"""How a command stops short: one line on stderr saying why, and the exit status that goes with it."""

from __future__ import annotations

import sys

INTERRUPTED = 130  # a command stopped with Ctrl-C (128 + SIGINT), as shells report it


def error_exit(reason, status: int) -> int:
    """Say ``error: <reason>`` on stderr; returns ``status``, the command's exit status."""
    print(f"error: {reason}", file=sys.stderr)
    return status


def interrupted_exit() -> int:
    """Say that Ctrl-C stopped the command; returns its exit status, 130."""
    print("interrupted", file=sys.stderr)
    return INTERRUPTED
