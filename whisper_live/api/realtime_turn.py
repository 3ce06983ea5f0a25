"""One turn of a Realtime session: its audio up to a commit, as a live client of the shared scheduler.

A :class:`RealtimeTurn` is to the Realtime API what ServeClient is to WhisperLive's protocol: it feeds its
:class:`Stream` (the same VAD, windows and commit policy) and turns each answer into OpenAI's
events. No sockets here: events go to ``emit`` (called with the turn's lock released, from the runner's
worker threads or the caller's). The turn belongs to a live session
(whisper_live/server/session/lifecycle.py), which counts its model errors and is told of every answer.

Items. With server VAD an item is a stretch of speech up to the end of the final window that committed
it: ``speech_started`` when the first window of its speech is handed to the model, ``speech_stopped`` and
``committed`` when its final window is, ``delta`` events as text comes, ``completed`` once that final's
answer is committed (text the core commits is never revised). Without VAD (``turn_detection`` null) the
whole turn is one item, ended by the client's commit.

Deltas are appended text, as OpenAI's are: the item's committed text and then the partial text of the
latest answer less its last word (the one most often heard differently once more audio follows, with the
full stop Whisper puts after it), as far as it goes on from what was already sent. A partial answer that
revises a word already sent adds no delta until the text goes on past it; ``completed`` always carries the
final text.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from typing import Callable, Optional

from whisper_live.api.realtime_events import event, new_id
from whisper_live.server.session.lifecycle import LiveSession
from whisper_live.protocol import SAMPLE_RATE
from whisper_live.streaming import FINAL, Stream
from whisper_live.transcriber.base import Result
from whisper_live.streaming.windows import Window


@dataclass
class Item:
    id: str
    start: int  # first sample of its speech
    committed: list = field(default_factory=list)  # texts of its committed segments
    sent: str = ""  # what its delta events carried so far
    stopped: bool = False  # speech_stopped / committed were sent

    @property
    def text(self) -> str:
        return "".join(self.committed).strip()


class RealtimeTurn:
    """A turn's stream as an inference client; ``emit(event)`` receives its events."""

    def __init__(self, stream: Stream, emit: Callable[[dict], None], session: LiveSession, *, with_vad: bool,
                 previous_item: Callable[[Optional[str]], Optional[str]] = lambda item_id: None):
        """``previous_item(item_id)``: records ``item_id`` as the session's latest item and returns the one
        before it (``previous_item_id`` of a committed event)."""
        self.stream = stream
        self.session = session  # the live session it belongs to: counted as one speaker with its other turns
        self.with_vad = with_vad
        self._emit = emit
        self._previous_item = previous_item
        self._lock = threading.Lock()
        self._item: Optional[Item] = None
        self.closed = False
        self.audio_seconds = 0.0

    # --- the client's side ---------------------------------------------------------------------------------

    def add_audio(self, samples) -> None:
        with self._lock:
            if self._item is None and not self.with_vad and len(samples):
                self._item = Item(new_id("item"), self.stream.received)
            self.stream.add_audio(samples)
            self.audio_seconds += len(samples) / SAMPLE_RATE
            warnings = self.stream.take_warnings()
        for warning in warnings:
            self._emit(event("error", error={"type": "server_error", "code": "audio_skipped", "message": warning,
                                             "param": None, "event_id": None}))

    def commit(self) -> bool:
        """The client's commit: the rest becomes one last final window. False when the turn holds no speech
        to commit (nothing in progress, nothing left to transcribe)."""
        with self._lock:
            self.stream.end_of_audio()
            item = self._item
            events = []
            if item is not None and not self.with_vad and not item.stopped:
                item.stopped = True
                events.append(event("input_audio_buffer.committed", item_id=item.id,
                                    previous_item_id=self._previous_item(item.id)))
            finished = self.stream.finished
            if finished and item is not None:
                events += self._complete(item)
        for e in events:
            self._emit(e)
        return item is not None or not finished

    def close(self) -> None:
        """No more work (the client left, cleared the buffer, or the turn is done)."""
        with self._lock:
            self.closed = True

    @property
    def finished(self) -> bool:
        with self._lock:
            return self.closed or self.stream.finished

    # --- the scheduler's side (worker threads) -----------------------------------------------------------------

    def pending(self):
        with self._lock:
            return None if self.closed else self.stream.pending()

    def take_window(self, economy: bool = False) -> Optional[Window]:
        events = []
        with self._lock:
            window = None if self.closed else self.stream.take_window(economy)
            if window is not None and self.with_vad:
                if self._item is None:
                    self._item = Item(new_id("item"), window.start)
                    events.append(event("input_audio_buffer.speech_started", item_id=self._item.id,
                                        audio_start_ms=_ms(window.start)))
                if window.kind == FINAL and not self._item.stopped:
                    self._item.stopped = True
                    events.append(event("input_audio_buffer.speech_stopped", item_id=self._item.id,
                                        audio_end_ms=_ms(window.end)))
                    events.append(event("input_audio_buffer.committed", item_id=self._item.id,
                                        previous_item_id=self._previous_item(self._item.id)))
        for e in events:
            self._emit(e)
        return window

    def deliver(self, window: Window, result: Optional[Result], error: Optional[BaseException]) -> None:
        events = []
        with self._lock:
            if error is not None or result is None:
                self.stream.cancel(window)
                if self.session.model_errors.failed():
                    self.closed = True
                    if self._item is not None:
                        events.append(event("conversation.item.input_audio_transcription.failed",
                                            item_id=self._item.id, content_index=0,
                                            error={"type": "server_error", "code": "model_error",
                                                   "message": f"transcription failed: {error}", "param": None}))
            elif not self.closed:
                self.session.model_errors.succeeded()
                update = self.stream.apply(window, result)
                item = self._item
                if item is not None:
                    item.committed += [s.text for s in update.completed]
                    partial = "".join(s.text for s in self.stream.partial)
                    events += self._deltas(item, _without_last_word(partial))
                    done = self.stream.finished if not self.with_vad else (
                        window.kind == FINAL and self.stream.committed_until >= window.end)
                    if done:
                        events += self._complete(item)
        for e in events:
            self._emit(e)
        self.session.changed()

    # --- events ----------------------------------------------------------------------------------------------

    def _deltas(self, item: Item, partial: str) -> list[dict]:
        hypothesis = ("".join(item.committed) + partial).strip()
        if len(hypothesis) <= len(item.sent) or not hypothesis.startswith(item.sent):
            return []
        delta, item.sent = hypothesis[len(item.sent):], hypothesis
        return [event("conversation.item.input_audio_transcription.delta", item_id=item.id, content_index=0,
                      delta=delta)]

    def _complete(self, item: Item) -> list[dict]:
        events = self._deltas(item, "")
        seconds = max(0.0, self.stream.committed_until - item.start) / SAMPLE_RATE
        events.append(event("conversation.item.input_audio_transcription.completed", item_id=item.id,
                            content_index=0, transcript=item.text,
                            usage={"type": "duration", "seconds": round(seconds, 3)}))
        self._item = None
        return events


def _without_last_word(text: str) -> str:
    """``text`` up to the space before its last word ("" for one word)."""
    text = text.rstrip()
    cut = text.rfind(" ")
    return text[:cut] if cut > 0 else ""


def _ms(sample: int) -> int:
    return int(sample * 1000 / SAMPLE_RATE)

