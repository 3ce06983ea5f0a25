"""JSON log lines (whisper_live/server/ops/log_format.py)."""

from __future__ import annotations

import json
import logging

from whisper_live.server.ops.log_format import JsonFormatter


def test_json_log_lines():
    try:
        raise ValueError("boom")
    except ValueError:
        import sys
        record = logging.LogRecord("whisper_live.x", logging.ERROR, __file__, 1, "client %s left", ("c1",),
                                   sys.exc_info())
    line = JsonFormatter().format(record)
    entry = json.loads(line)
    assert "\n" not in line and entry["message"] == "client c1 left" and entry["level"] == "ERROR"
    assert entry["logger"] == "whisper_live.x" and "ValueError: boom" in entry["exception"]
    assert entry["time"].endswith("Z")
