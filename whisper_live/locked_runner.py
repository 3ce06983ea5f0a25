"""The thread-per-client mode (``--inference_mode locked``), kept for comparison with the scheduler.

Each client's own thread calls the model behind one lock, with no batching and no fairness
(docs/streaming.md, "The shared scheduler"). It has the scheduler's interface (``start``, ``stop``,
``add``, ``notify``, ``remove``, ``meter``, ``on_batch``), so the server runs a model behind either.
"""

from __future__ import annotations

import logging
import threading
import time
from typing import Callable, Optional

from whisper_live.admission import LoadMeter
from whisper_live.scheduler import BatchReport, InferenceClient, is_background, report_batch
from whisper_live.streaming.windows import FINAL
from whisper_live.transcriber.base import Transcriber

log = logging.getLogger(__name__)


class LockedRunner:
    """Thread-per-client mode (for comparison): every client's thread calls the model behind one lock."""

    def __init__(self, transcriber: Transcriber, clock: Callable[[], float] = time.monotonic):
        self.transcriber = transcriber
        self.workers = 1
        self._model_lock = threading.Lock()
        self._clock = clock
        self._events: dict = {}
        self._lock = threading.Lock()
        self.meter = LoadMeter(1, clock=clock)
        self.on_batch: Optional[Callable[[BatchReport], None]] = None  # told of every model call

    def start(self) -> None:
        pass

    def stop(self) -> None:
        with self._lock:
            clients = list(self._events)
        for client in clients:
            self.remove(client)

    def add(self, client: InferenceClient) -> None:
        event = threading.Event()
        with self._lock:
            self._events[client] = event
        threading.Thread(target=self._loop, args=(client, event), name="client-inference", daemon=True).start()
        event.set()

    def notify(self, client: InferenceClient) -> None:
        with self._lock:
            event = self._events.get(client)
        if event is not None:
            event.set()

    def remove(self, client: InferenceClient) -> None:
        with self._lock:
            event = self._events.pop(client, None)
        if event is not None:
            event.set()

    def _loop(self, client: InferenceClient, event: threading.Event) -> None:
        while True:
            event.wait()
            event.clear()
            with self._lock:
                if client not in self._events:
                    return
            while True:
                state = client.pending()
                window = client.take_window() if state else None
                if window is None:
                    break
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
                self.meter.record(busy, busy if window.kind == FINAL else 0.0, [client],
                                  [finished - state[1]] if window.kind == FINAL else [])
                report_batch(self.on_batch, BatchReport(1, busy, [(window.kind, started - state[1],
                                                                   finished - state[1])], error is not None))
                client.deliver(window, result, error)
                if error is not None:
                    break
