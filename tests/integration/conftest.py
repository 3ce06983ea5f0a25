"""Fixtures of the integration tests: the bundled models converted to OpenVINO int8 once per test session.

Cached between runs under ``$WHISPER_LIVE_OV_CACHE`` or ``~/.cache/whisper-live/openvino``, keyed by the
source model's hash and the converter version. A missing openvino-genai or converter dependency fails:
scripts/test.sh installs them (requirements/convert.txt).
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

import pytest


def converted(name: str) -> Path:
    from whisper_live.convert.openvino import convert_cached

    started = time.monotonic()
    path = convert_cached(name, "int8", log=lambda line: print(line, file=sys.stderr))
    print(f"OpenVINO {name}: {path} ({time.monotonic() - started:.1f} s)", file=sys.stderr)
    return path


@pytest.fixture(scope="session")
def ov_tiny_en() -> Path:
    """The bundled tiny.en converted to OpenVINO int8, once (cached between runs)."""
    return converted("tiny.en")


@pytest.fixture(scope="session")
def ov_base() -> Path:
    return converted("base")
