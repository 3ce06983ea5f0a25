"""The runner's side of a live session's stream: its windows, while the session lives and the model has not given up.

A front end's adapter (a WhisperLive-protocol client, a phone call's track) subclasses :class:`StreamClient`
and adds ``deliver``, which turns the model's answers into its wire messages and sets ``failed`` once the
session's model errors say to give up.
"""

from __future__ import annotations

from typing import Optional

from whisper_live.server.session.lifecycle import LiveSession
from whisper_live.streaming import Stream
from whisper_live.streaming.windows import Window


class StreamClient:
    stream: Stream
    session: LiveSession
    failed = False  # the model failed MAX_MODEL_ERRORS times in a row: no more windows

    def pending(self):
        with self.session.lock:
            return self.stream.pending() if self._has_work() else None

    def take_window(self, economy: bool = False) -> Optional[Window]:
        with self.session.lock:
            return self.stream.take_window(economy) if self._has_work() else None

    def _has_work(self) -> bool:
        """Whether windows may still go to the model (lock held): not once it ended or the model gave up."""
        return not self.session.ended and not self.failed
