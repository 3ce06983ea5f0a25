"""The thread-per-client mode (``--inference_mode locked``), kept for comparison with the scheduler.

Each client's own thread calls the model behind one lock, with no batching and no fairness
(docs/streaming.md, "The shared scheduler"). It is a :class:`~whisper_live.runner.Runner` like the
scheduler, so the server runs a model behind either. A client's thread ends when the client is removed:
:meth:`LockedRunner.remove` waits for it (for the window it is running, if any), and :meth:`LockedRunner.stop`
for all of them.
"""

from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass, field
from typing import Callable, Optional

from whisper_live.admission import LoadMeter
from whisper_live.scheduler import BatchReport, InferenceClient, is_background, report_batch
from whisper_live.streaming.windows import FINAL, Pending
from whisper_live.transcriber.base import Transcriber
from whisper_live.runner import speaker_of

log = logging.getLogger(__name__)

JOIN_TIMEOUT = 30.0  # s to wait for a removed client's thread (it finishes the window it is running)


@dataclass(eq=False)
class _ClientThread:
    """A client's thread, and the event that wakes it (the client may have work, or was removed)."""

    wake: threading.Event = field(default_factory=threading.Event)
    thread: Optional[threading.Thread] = None


class LockedRunner:
    """Thread-per-client mode (for comparison): every client's thread calls the model behind one lock."""

    def __init__(self, transcriber: Transcriber, clock: Callable[[], float] = time.monotonic):
        self.transcriber = transcriber
        self.workers = 1
        self._model_lock = threading.Lock()
        self._clock = clock
        self._threads: dict = {}  # client -> _ClientThread
        self._lock = threading.Lock()
        self.meter = LoadMeter(1, clock=clock)
        self.on_batch: Optional[Callable[[BatchReport], None]] = None  # told of every model call

    def start(self) -> None:
        pass

    def stop(self) -> None:
        with self._lock:
            clients = list(self._threads)
        for client in clients:
            self.remove(client)

    def add(self, client: InferenceClient) -> None:
        with self._lock:
            if client not in self._threads:
                own = self._threads[client] = _ClientThread()
                own.thread = threading.Thread(target=self._loop, args=(client, own), name="client-inference",
                                              daemon=True)
                own.thread.start()
        self.notify(client)

    def notify(self, client: InferenceClient) -> None:
        with self._lock:
            own = self._threads.get(client)
        if own is not None:
            own.wake.set()

    def remove(self, client: InferenceClient) -> None:
        """Take no more windows of ``client``, and wait for its thread to end (unless called from that thread:
        it ends once it returns there)."""
        with self._lock:
            own = self._threads.pop(client, None)
        if own is None:
            return
        own.wake.set()
        if own.thread is not threading.current_thread():
            own.thread.join(JOIN_TIMEOUT)
            if own.thread.is_alive():
                log.warning("a removed client's inference thread is still running after %.0f s", JOIN_TIMEOUT)

    def _serves(self, client: InferenceClient, own: _ClientThread) -> bool:
        with self._lock:
            return self._threads.get(client) is own

    def _loop(self, client: InferenceClient, own: _ClientThread) -> None:
        while True:
            own.wake.wait()
            own.wake.clear()
            while self._serves(client, own):
                state = client.pending()
                window = client.take_window() if state else None
                if window is None:
                    break
                if not self._run(client, window, Pending(*state).since):
                    break
            if not self._serves(client, own):
                return

    def _run(self, client: InferenceClient, window, since: float) -> bool:
        """Run ``window`` of ``client`` and deliver its result; False when the model failed."""
        with self._model_lock:
            started = self._clock()
            try:
                result = window.run(self.transcriber) if is_background(window) else \
                    self.transcriber.transcribe_batch([window.request])[0]
                error = None
            except Exception as exc:
                log.exception("inference failed")
                result, error = None, exc
            busy = self._clock() - started
        finished = self._clock()
        final = window.kind == FINAL
        self.meter.record(busy, busy if final else 0.0, [speaker_of(client)], [finished - since] if final else [])
        report_batch(self.on_batch, BatchReport(1, busy, [(window.kind, started - since, finished - since)],
                                                error is not None))
        client.deliver(window, result, error)
        return error is None
