"""The server's own counters during a workload: its ``/metrics`` read every second, the last answer kept.

The quality ladder's count of final windows by the rung they were decoded at
(``whisperlive_final_windows_total{rung}``, whisper_live/server/ops/metrics.py) says whether a load was
served at full quality. The bench stops the server it started once every client is done, so the last
answer before that holds (nearly) every final of the run; over a ramp the counts add up all its steps.
"""

from __future__ import annotations

import re
import threading
import urllib.request
from typing import Optional

FINAL_WINDOWS = re.compile(r"^whisperlive_final_windows_total\{([^}]*)\}\s+(\S+)\s*$", re.M)
LABEL = re.compile(r'(\w+)="((?:[^"\\]|\\.)*)"')


def final_windows_by_rung(text: str) -> dict:
    """Final windows by rung, summed over models, from a /metrics answer (Prometheus' text format)."""
    counts: dict = {}
    for labels, value in FINAL_WINDOWS.findall(text):
        rung = dict(LABEL.findall(labels)).get("rung", "none")
        counts[rung] = counts.get(rung, 0) + int(float(value))
    return counts


class MetricsPoller:
    """Reads ``url`` every ``interval`` seconds in a thread of its own until :meth:`stop`."""

    def __init__(self, url: str, interval: float = 1.0):
        self.url, self.interval = url, interval
        self.latest: Optional[str] = None
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, name="workload-metrics", daemon=True)

    def start(self) -> "MetricsPoller":
        self._thread.start()
        return self

    def _loop(self) -> None:
        while not self._stop.is_set():
            try:
                with urllib.request.urlopen(self.url, timeout=2) as answer:
                    self.latest = answer.read().decode("utf-8", "replace")
            except OSError:
                pass  # not up yet, or already stopped
            self._stop.wait(self.interval)

    def stop(self) -> Optional[dict]:
        """Stops reading; the counters of the last answer (None when none came)."""
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join(timeout=5)
        if self.latest is None:
            return None
        return {"final_windows_by_rung": final_windows_by_rung(self.latest)}
