"""The transcript as a user sees it, built from the server's overlapping segment updates.

Each update repeats the last n completed segments and then the segments still in progress. Completed
segments never change and come in time order, so a completed segment is new exactly when it lies after the
last one kept; that is what keeps the written transcript free of duplicates. When nothing is in progress, the
server repeats the last completed segment as open, for WhisperLive's own client (docs/protocol.md): that
repeat is not in progress and is dropped.
"""

from __future__ import annotations

from typing import Optional

from whisper_live.protocol import Segment

# Servers round times to milliseconds; allow a little slack when comparing them.
_EPS = 0.002


class Transcript:
    def __init__(self) -> None:
        self.completed: list[Segment] = []
        self.pending: list[Segment] = []
        self.language: Optional[str] = None
        self.language_prob: Optional[float] = None

    def update(self, segments: list[Segment]) -> list[Segment]:
        """Apply one update; return the completed segments it added, in order."""
        added = []
        pending = []
        for seg in segments:
            if not seg.completed:
                pending.append(seg)
            elif self._is_new(seg):
                self.completed.append(seg)
                added.append(seg)
        self.pending = [seg for seg in pending if not self._repeats_last(seg)]
        return added

    def only_repeats(self, segments: list[Segment]) -> bool:
        """Whether an update holds nothing but the server's open repeat of the last completed segment."""
        return bool(segments) and all(not s.completed and self._repeats_last(s) for s in segments)

    def _repeats_last(self, seg: Segment) -> bool:
        """Whether the open ``seg`` is the last completed segment again (the server's repeat of it)."""
        return bool(self.completed) and (seg.start, seg.end, seg.text) == (
            self.completed[-1].start, self.completed[-1].end, self.completed[-1].text)

    def _is_new(self, seg: Segment) -> bool:
        if not self.completed:
            return True
        last = self.completed[-1]
        if (seg.start, seg.end, seg.text) == (last.start, last.end, last.text):
            return False
        return seg.start >= last.end - _EPS and (seg.start, seg.end) > (last.start, last.end)

    def text(self, include_pending: bool = False) -> str:
        segs = self.completed + (self.pending if include_pending else [])
        return " ".join(s.text.strip() for s in segs if s.text.strip())

    def last(self, n: int, include_pending: bool = True) -> list[Segment]:
        """The last n segments for a live view: completed ones, then the ones in progress."""
        segs = self.completed + (self.pending if include_pending else [])
        return segs[-n:] if n > 0 else []
