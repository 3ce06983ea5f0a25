"""The live console view: the last N segments of each session, and a progress line.

On a terminal the view is redrawn in place; otherwise (a pipe, a log file) each completed segment is
printed once, when it is committed, and progress goes to stderr every 10 %.
"""

from __future__ import annotations

import shutil
import sys
import threading
import time
from typing import Optional, TextIO

from whisper_live.protocol import Segment


def _stamp(seconds: float) -> str:
    minutes, secs = divmod(max(0.0, seconds), 60)
    return f"{int(minutes):02d}:{secs:06.3f}"


def format_segment(seg: Segment, timestamps: bool) -> str:
    """The segment as a console line: ``[start --> end] Name: text``, the parts it has."""
    text = seg.text.strip()
    if seg.speaker:
        text = f"{seg.speaker}: {text}"
    if timestamps:
        text = f"[{_stamp(seg.start)} --> {_stamp(seg.end)}] {text}"
    return text


class ConsoleView:
    def __init__(self, n_segments: int = 3, timestamps: bool = False, stream: Optional[TextIO] = None,
                 interactive: Optional[bool] = None, min_interval: float = 0.2):
        self.n_segments = n_segments
        self.timestamps = timestamps
        self.stream = stream or sys.stdout
        self.interactive = self.stream.isatty() if interactive is None else interactive
        self.min_interval = min_interval
        self._lock = threading.Lock()
        self._sessions: dict[str, list[Segment]] = {}
        self._status = ""
        self._drawn_lines = 0
        self._last_draw = 0.0
        self._last_progress_step = -1

    def update(self, name: str, recent: list[Segment], committed: list[Segment]) -> None:
        """A session's update: ``recent`` for the live view, ``committed`` are newly completed segments."""
        with self._lock:
            self._sessions[name] = recent
            if self.interactive:
                self._redraw()
            else:
                prefix = f"[{name}] " if len(self._sessions) > 1 else ""
                for seg in committed:
                    if seg.text.strip():
                        print(prefix + format_segment(seg, self.timestamps), file=self.stream, flush=True)

    def progress(self, label: str, done: float, total: Optional[float]) -> None:
        with self._lock:
            if total:
                percent = min(100.0, 100.0 * done / total)
                self._status = f"{label}: {done:.1f} / {total:.1f} s ({percent:.0f}%)"
            else:
                self._status = f"{label}: {done:.1f} s"
            if self.interactive:
                self._redraw()
            elif total:
                step = int(percent // 10)
                if step != self._last_progress_step:
                    self._last_progress_step = step
                    print(self._status, file=sys.stderr, flush=True)

    def message(self, text: str) -> None:
        """A notice above the live view (or on stderr when not on a terminal)."""
        with self._lock:
            if self.interactive:
                self._clear()
                print(text, file=self.stream, flush=True)
                self._drawn_lines = 0
                self._redraw(force=True)
            else:
                print(text, file=sys.stderr, flush=True)

    def close(self) -> None:
        with self._lock:
            if self.interactive:
                self._redraw(force=True)
                self._drawn_lines = 0
            self._sessions.clear()
            self._status = ""
            self._last_progress_step = -1

    def _clear(self) -> None:
        if self._drawn_lines:
            self.stream.write(f"\x1b[{self._drawn_lines}F\x1b[J")

    def _redraw(self, force: bool = False) -> None:
        now = time.monotonic()
        if not force and now - self._last_draw < self.min_interval:
            return
        self._last_draw = now
        width = max(20, shutil.get_terminal_size((100, 20)).columns - 1)
        lines = []
        for name, segs in self._sessions.items():
            if len(self._sessions) > 1:
                lines.append(f"[{name}]")
            lines.extend(format_segment(s, self.timestamps)[:width] for s in segs[-self.n_segments:])
        if self._status:
            lines.append(self._status[:width])
        self._clear()
        self.stream.write("".join(line + "\n" for line in lines))
        self.stream.flush()
        self._drawn_lines = len(lines)
