"""One connected client: reads its audio into its streaming session, and sends it what the model found.

The WebSocket handler thread (one per connection, from ``websockets.sync.server``) runs :meth:`run`, the
reader loop. Model results arrive on a scheduler worker thread through :meth:`deliver`; replies go out
through a small outbox served by a sender thread, so a client that reads slowly never blocks a worker.
Everything of this client (options, VAD state, buffer, transcript) lives on this object and its session.
"""

from __future__ import annotations

import logging
import queue
import threading
import time
from typing import Callable, Optional

from websockets.exceptions import ConnectionClosed

from whisper_live import protocol
from whisper_live.streaming import StreamingSession
from whisper_live.transcriber.base import Result
from whisper_live.windows import Window

log = logging.getLogger(__name__)

# How long after END_OF_AUDIO the server waits for the last transcripts before it disconnects anyway.
FLUSH_TIMEOUT = 120.0
# Consecutive model failures after which the client is told and disconnected.
MAX_MODEL_ERRORS = 3


class ServeClient:
    def __init__(self, websocket, options: protocol.ClientOptions, session: StreamingSession, runner,
                 *, max_connection_time: float, on_close: Callable[["ServeClient"], None],
                 clock: Callable[[], float] = time.monotonic, metrics=None):
        self.websocket = websocket
        self.options = options
        self.uid = options.uid
        self.session = session
        self.runner = runner
        self.max_connection_time = max_connection_time
        self.connected_at = clock()
        self._clock = clock
        self._on_close = on_close
        self._lock = threading.Lock()
        self._finished = threading.Event()
        self._closed = threading.Event()
        self._model_errors = 0
        self._metrics = metrics  # whisper_live.server.metrics.Metrics, or None
        self._outbox: queue.Queue = queue.Queue()
        self._sender = threading.Thread(target=self._send_loop, name=f"send-{self.uid[:8]}", daemon=True)

    # --- scheduler side (worker threads) --------------------------------------------------------------------

    def pending(self):
        with self._lock:
            return None if self._closed.is_set() else self.session.pending()

    def take_window(self, economy: bool = False) -> Optional[Window]:
        with self._lock:
            return None if self._closed.is_set() else self.session.take_window(economy)

    def deliver(self, window: Window, result: Optional[Result], error: Optional[BaseException]) -> None:
        messages = []
        with self._lock:
            if error is not None or result is None:
                self.session.cancel(window)
                self._model_errors += 1
                if self._model_errors >= MAX_MODEL_ERRORS:
                    messages.append(protocol.error(self.uid, f"transcription failed: {error}"))
                    self._closed.set()
            else:
                self._model_errors = 0
                update = self.session.apply(window, result)
                if update.language:
                    messages.append(protocol.language(self.uid, *update.language))
                if not update.empty:
                    segments = self.session.segments_to_send(self.options.send_last_n_segments)
                    messages.append(protocol.segments(self.uid, segments))
                    if self._metrics is not None:
                        self._metrics.segments_sent(len(update.completed), len(update.partial))
                messages += [protocol.warning(self.uid, w) for w in self.session.take_warnings()]
            finished = self.session.finished
        for message in messages:
            self.send(message)
        if finished or self._closed.is_set():
            self._finished.set()

    # --- sending --------------------------------------------------------------------------------------------

    def send(self, message: str) -> None:
        self._outbox.put(message)

    def _send_loop(self) -> None:
        while True:
            message = self._outbox.get()
            if message is None:
                return
            try:
                self.websocket.send(message)
            except (ConnectionClosed, OSError, RuntimeError):
                return

    def _drain_and_stop_sender(self, timeout: float = 5.0) -> None:
        self._outbox.put(None)
        self._sender.join(timeout)

    # --- the reader loop (the connection's thread) ----------------------------------------------------------

    def run(self) -> None:
        self._sender.start()
        self.runner.add(self)
        try:
            self._read_audio()
        except ConnectionClosed:
            pass
        finally:
            self._closed.set()
            self.runner.remove(self)
            self._drain_and_stop_sender()
            self.websocket.close()
            self._on_close(self)

    def _remaining_time(self) -> float:
        return self.max_connection_time - (self._clock() - self.connected_at)

    def _read_audio(self) -> None:
        while not self._closed.is_set():
            remaining = self._remaining_time()
            if remaining <= 0:
                self.send(protocol.warning(self.uid, "maximum connection time reached"))
                self._end_session()
                return
            try:
                message = self.websocket.recv(timeout=min(1.0, remaining))
            except TimeoutError:
                continue
            if isinstance(message, str):
                if message.strip() == protocol.END_OF_AUDIO.decode():
                    self._end_of_audio()
                    return
                self._refuse("text frames are only allowed for the first message (options) and END_OF_AUDIO; "
                             "send audio as binary frames", 1003)
                return
            if message == protocol.END_OF_AUDIO:
                self._end_of_audio()
                return
            try:
                samples = protocol.decode_audio_frame(message, self.options.audio_format)
            except protocol.ProtocolError as exc:
                self._refuse(str(exc), 1003)
                return
            if self._metrics is not None:
                self._metrics.audio_processed.inc(len(samples) / protocol.SAMPLE_RATE)
            with self._lock:
                self.session.add_audio(samples)
                warnings = self.session.take_warnings()
            for warning in warnings:
                self.send(protocol.warning(self.uid, warning))
            self.runner.notify(self)

    def _end_of_audio(self) -> None:
        with self._lock:
            self.session.end_of_audio()
            finished = self.session.finished
        if not finished:
            self.runner.notify(self)
            self._finished.wait(min(FLUSH_TIMEOUT, max(1.0, self._remaining_time())))
        self._end_session()

    def _end_session(self) -> None:
        self.send(protocol.disconnect(self.uid))
        self._closed.set()
        self._drain_and_stop_sender()
        self.websocket.close()

    def _refuse(self, reason: str, code: int) -> None:
        log.info("client %s: %s", self.uid, reason)
        if self._metrics is not None:
            self._metrics.errors.labels(type="protocol").inc()
        self.send(protocol.error(self.uid, reason))
        self._closed.set()
        self._drain_and_stop_sender()
        self.websocket.close(code, reason[:120])
