"""One inference scheduler in front of the shared model, instead of one model lock per client thread.

Clients (the server's ServeClient objects, or anything with the :class:`InferenceClient` methods) tell the
scheduler when they may have work (:meth:`Scheduler.notify`). Worker threads then:

* pick the most urgent client: finals (committed text, judged by latency) before partials, and among
  equals the client whose waiting audio arrived first (fairness: the longest wait goes first);
* add other clients with work of the same kind, up to the backend's ``max_batch_size`` (for final windows
  up to ``max_final_batch_size``, by default the same), into one batch:
  those whose windows are closest in length to the first one's (as the backend pads them:
  :meth:`Transcriber.padded_seconds`), since every window of a batch is computed at the batch's longest
  length (docs/streaming.md, "The shared scheduler"); ties go to the longest wait;
* the server sends final windows one per call when they are decoded as offline Whisper decodes
  (``--final_beam_size`` above 1): each is decoded with beam search and its own prompt (so in its own
  decoding call), so a batch of them saves little and each would wait for all the others;
* ask each chosen client for its window *now* (:meth:`InferenceClient.take_window`), so a client that fell
  behind sends one longer window instead of a queue of stale ones: latency adapts to load;
* ask for an economical final window when finals are late (the one chosen waited ``economy_wait``
  seconds, or more than two finals wait per worker): its client then replays less context
  (``StreamingSession.take_window``), which for finals going on from their context is most of their
  cost; so offline-style finals are thorough while the machine keeps up, and cheaper when it does not;
* run the batch and hand every result back;
* serve other work (a whole file's next step: whisper_live/file_work.py) only when no live window waits
  and, while live clients are at work, recent finals were served in time (:meth:`LoadMeter.has_room`),
  one per call, on at most
  ``workers - 1`` workers at once (all of one worker), so that a live window that arrives meanwhile finds
  a worker free or waits for one file window at most.

Its :class:`LoadMeter` also tells the streaming sessions whether the model has room for work that only
improves accuracy (:meth:`LoadMeter.has_room`: decoding agreed text again as a final), judged by how
quickly recent finals were served.

A client has at most one window in flight, silence produces no work at all (the streaming core asks for
a window only when new speech arrived), and committed audio is never transcribed again.

:class:`LockedRunner` is the thread-per-client mode kept for comparison: each client's own thread calls the
model behind one lock, with no batching and no fairness.
"""

from __future__ import annotations

import collections
import logging
import threading
import time
from dataclasses import dataclass
from typing import Callable, Optional, Protocol

from whisper_live.transcriber.base import Result, Transcriber
from whisper_live.streaming.windows import FINAL, PARTIAL, Pending, Window

log = logging.getLogger(__name__)

# A final window chosen this long (s) after its utterance's end was confirmed, or while more than
# ECONOMY_QUEUE finals per worker wait, is asked for economically. Sooner costs WER (docs/streaming.md,
# "Finals with context").
ECONOMY_WAIT = 1.0
ECONOMY_QUEUE = 2
# Work that only improves accuracy (decoding agreed text again as a final: StreamingSession) is asked for
# while the finals of the meter's horizon were served within this (s) at p90, from the moment they were due
# to their result: the finals' delay tells a light load from a heavy one, where the share of worker time
# spent on finals does not (docs/streaming.md, "Agreement").
ROOM_BELOW_FINAL_DELAY = ECONOMY_WAIT


# Scheduling ranks: finals, then partials, then any other kind of work (background: a file's next step)
_RANKS = {FINAL: 0, PARTIAL: 1}
BACKGROUND = 2
BACKGROUND_RECHECK = 0.5  # s between looks at the load meter while background work waits for room
# Background work waits while finals were served late (the meter's has_room) only while live windows ran
# within this many seconds: once the live clients are quiet or gone, late finals of the past do not count.
LIVE_LATELY = 2.0


def _is_background(window) -> bool:
    """Work that runs itself on the transcriber (``run``) instead of being one request of a batch."""
    return getattr(window, "run", None) is not None


class InferenceClient(Protocol):
    def pending(self) -> Optional[Pending]: ...

    def take_window(self, economy: bool = False) -> Optional[Window]: ...

    def deliver(self, window: Window, result: Optional[Result], error: Optional[BaseException]) -> None: ...


@dataclass
class BatchReport:
    """One model call, for whoever watches the scheduler (the server's metrics): ``Scheduler.on_batch``."""

    size: int
    seconds: float  # the model call
    windows: list  # per window: (kind, seconds from due to the call's start, seconds from due to its result)
    failed: bool = False


class LoadMeter:
    """Busy time and service times over a sliding window, for admission and for the status figures."""

    def __init__(self, workers: int, horizon: float = 30.0, clock: Callable[[], float] = time.monotonic):
        self.workers = max(1, workers)
        self.horizon = horizon
        self._clock = clock
        self._lock = threading.Lock()
        self._batches: collections.deque = collections.deque()  # (end, busy s, final busy s, clients)
        self._final_delays: collections.deque = collections.deque()  # (end, delay from audio arrival)

    def record(self, busy: float, final_busy: float, clients: list, final_delays: list[float]) -> None:
        now = self._clock()
        with self._lock:
            self._batches.append((now, busy, final_busy, [id(c) for c in clients]))
            for delay in final_delays:
                self._final_delays.append((now, delay))
            self._expire(now)

    def _expire(self, now: float) -> None:
        while self._batches and self._batches[0][0] < now - self.horizon:
            self._batches.popleft()
        while self._final_delays and self._final_delays[0][0] < now - self.horizon:
            self._final_delays.popleft()

    def has_room(self) -> bool:
        """Whether the model has room for work that only improves accuracy: finals are served in time."""
        with self._lock:
            self._expire(self._clock())
            delays = sorted(d for _, d in self._final_delays)
        return len(delays) < 3 or _p90(delays) < ROOM_BELOW_FINAL_DELAY

    def snapshot(self, clients: Optional[list] = None) -> dict:
        """Load over the horizon; with ``clients``, only the work done for those clients counts."""
        now = self._clock()
        wanted = None if clients is None else {id(c) for c in clients}
        with self._lock:
            self._expire(now)
            capacity = self.workers * self.horizon
            busy = final_busy = 0.0
            speakers = set()
            for _, batch_busy, batch_final_busy, ids in self._batches:
                share = [i for i in ids if wanted is None or i in wanted]
                if not share:
                    continue
                busy += batch_busy * len(share) / len(ids)
                final_busy += batch_final_busy * len(share) / len(ids)
                speakers.update(share)
            delays = sorted(d for _, d in self._final_delays)
        return {"utilization": busy / capacity, "final_utilization": final_busy / capacity,
                "speakers": len(speakers), "final_delay_p90": _p90(delays), "finals": len(delays)}


def _p90(values: list[float]) -> float:
    """The 90th percentile of sorted ``values`` (0 for none)."""
    return values[min(len(values) - 1, int(0.9 * len(values)))] if values else 0.0


class Admission:
    """Answers whether one more client fits: ``max_clients``, and the measured real-time headroom.

    A new continuous speaker is assumed to cost what the current speakers cost on average. Only final
    windows count as necessary work (partials fill whatever capacity is left, so they always look busy).
    The server refuses (WAIT) when the projected final-window utilization would pass
    ``max_final_utilization``, or when finals already take longer than ``latency_target`` at p90 from the
    moment the end of an utterance was confirmed to the moment its transcript was ready.
    """

    def __init__(self, meter: LoadMeter, max_clients: int, latency_target: float = 2.0,
                 max_final_utilization: float = 0.6, enabled: bool = True):
        self.enabled = enabled
        self.meter = meter
        self.max_clients = max_clients
        self.latency_target = latency_target
        self.max_final_utilization = max_final_utilization

    def spare_clients(self, connected: list) -> int:
        """How many more clients beside ``connected`` would be admitted now, by the rule of
        :meth:`refuse_reason` (so 0 exactly when it refuses the next one)."""
        room = self.max_clients - len(connected)
        load = self._measured_load(connected)
        if room <= 0 or load is None:
            return max(0, room)
        if load["final_delay_p90"] > self.latency_target:
            return 0
        fits = 0
        while fits < room and self._projected_final_utilization(load, fits + 1) <= self.max_final_utilization:
            fits += 1
        return fits

    def _measured_load(self, connected: list) -> Optional[dict]:
        """The load ``connected`` put on the model, when admission judges by it (enough finals measured)."""
        if not self.enabled or not connected:
            return None
        load = self.meter.snapshot(connected)
        return load if load["speakers"] and load["finals"] >= 3 else None

    @staticmethod
    def _projected_final_utilization(load: dict, more: int) -> float:
        """Final-window utilization with ``more`` speakers, each costing what the current ones cost."""
        return load["final_utilization"] * (load["speakers"] + more) / load["speakers"]

    def refuse_reason(self, connected: list) -> Optional[str]:
        """None to admit one more client beside ``connected``; else the reason to make it wait."""
        if len(connected) >= self.max_clients:
            return f"server is at its limit of {self.max_clients} clients"
        load = self._measured_load(connected)
        if load is not None:
            projected = self._projected_final_utilization(load, 1)
            if projected > self.max_final_utilization:
                return (f"one more speaker would push the model past its real-time capacity "
                        f"({projected:.0%} of it for final transcripts)")
            if load["final_delay_p90"] > self.latency_target:
                return (f"the server is already behind: final transcripts take "
                        f"{load['final_delay_p90']:.1f} s (target {self.latency_target:.1f} s)")
        return None

    def headroom(self, connected: list) -> float:
        """The share of capacity still free for new clients, 0 (a new client gets WAIT) to 1 (idle).

        The smaller of the free client slots (of ``max_clients``) and, when admission control measures the
        load, the final-window utilisation still free below ``max_final_utilization``.
        """
        if self.refuse_reason(connected) is not None:
            return 0.0
        room = 1.0 - len(connected) / max(1, self.max_clients)
        if self.enabled and connected:
            load = self.meter.snapshot(connected)
            if load["finals"] >= 3:
                room = min(room, 1.0 - load["final_utilization"] / self.max_final_utilization)
        return max(0.0, min(1.0, room))


class Scheduler:
    """Shared-model scheduler: fair queue, cross-client batches, one window in flight per client."""

    def __init__(self, transcriber: Transcriber, *, workers: Optional[int] = None,
                 max_batch_size: Optional[int] = None, max_final_batch_size: Optional[int] = None,
                 economy_wait: float = ECONOMY_WAIT, clock: Callable[[], float] = time.monotonic):
        self.transcriber = transcriber
        self.workers = workers or transcriber.max_concurrency
        self.max_batch_size = max(1, min(max_batch_size or transcriber.max_batch_size, transcriber.max_batch_size))
        self.max_final_batch_size = max(1, min(max_final_batch_size or self.max_batch_size, self.max_batch_size))
        self.economy_wait = economy_wait
        self._clock = clock
        self._cond = threading.Condition()
        self._ready: dict = {}  # clients that may have work (insertion-ordered set)
        self._threads: list[threading.Thread] = []
        self._running = False
        self.meter = LoadMeter(self.workers, clock=clock)
        # background work (files) at once at most: a worker is kept for live windows where there are two
        self.max_background = max(1, self.workers - 1)
        self._background = 0
        self._deferred = False  # background work waits for the meter's room: the workers look again
        self._last_live = -float("inf")  # when the last batch of live windows ended
        self.on_batch: Optional[Callable[[BatchReport], None]] = None  # told of every model call

    # --- clients ------------------------------------------------------------------------------------------

    def add(self, client: InferenceClient) -> None:
        self.notify(client)

    def notify(self, client: InferenceClient) -> None:
        with self._cond:
            self._ready[client] = None
            self._cond.notify()

    def remove(self, client: InferenceClient) -> None:
        with self._cond:
            self._ready.pop(client, None)

    # --- selection ----------------------------------------------------------------------------------------

    def select(self) -> list[tuple[InferenceClient, Window, float]]:
        """Choose the next batch: [(client, window, waiting since)]. Caller holds no client lock."""
        candidates = []
        for client in list(self._ready):
            state = client.pending()
            if state is None:
                self._ready.pop(client, None)
            else:
                state = Pending(*state)
                candidates.append((_RANKS.get(state.kind, BACKGROUND), state.since, state.seconds, client))
        self._deferred = False
        if any(c[0] == BACKGROUND for c in candidates):
            if self._background >= self.max_background:  # (one that ends notifies the workers)
                candidates = [c for c in candidates if c[0] != BACKGROUND]
            elif self._live_lately() and not self.meter.has_room():  # (room may come without any notify)
                candidates = [c for c in candidates if c[0] != BACKGROUND]
                self._deferred = True
        if not candidates:
            return []
        candidates.sort(key=lambda c: (c[0], c[1]))
        head = candidates[0]
        final = head[0] == 0
        padded = lambda seconds: self.transcriber.padded_seconds(seconds, final)  # noqa: E731
        others = sorted((c for c in candidates[1:] if c[0] == head[0]),
                        key=lambda c: (abs(padded(c[2]) - padded(head[2])), c[1]))
        size = {0: self.max_final_batch_size, 1: self.max_batch_size}.get(head[0], 1)
        economy = head[0] == 0 and self._late(head[1], sum(1 for c in candidates if c[0] == 0))
        batch = []
        for _, since, _, client in [head] + others[:size - 1]:
            window = client.take_window(economy)
            self._ready.pop(client, None)
            if window is not None:
                batch.append((client, window, since))
        if head[0] == BACKGROUND and batch:
            self._background += 1
        return batch

    def _live_lately(self) -> bool:
        """Whether live windows were run within the last ``LIVE_LATELY`` s (live clients are at work)."""
        return self._clock() - self._last_live < LIVE_LATELY

    def _late(self, since: float, finals_waiting: int) -> bool:
        """Whether finals fall behind: the chosen one waited ``economy_wait`` s, or too many wait."""
        return self._clock() - since >= self.economy_wait or finals_waiting > ECONOMY_QUEUE * self.workers

    # --- workers ------------------------------------------------------------------------------------------

    def start(self) -> None:
        self._running = True
        for i in range(self.workers):
            thread = threading.Thread(target=self._work, name=f"inference-{i}", daemon=True)
            thread.start()
            self._threads.append(thread)

    def stop(self) -> None:
        with self._cond:
            self._running = False
            self._cond.notify_all()
        for thread in self._threads:
            thread.join(timeout=5)
        self._threads.clear()

    def _work(self) -> None:
        while True:
            with self._cond:
                batch = []
                while self._running and not (batch := self.select()):
                    self._cond.wait(BACKGROUND_RECHECK if self._deferred else None)
                if not self._running:
                    for client, window, _ in batch:
                        client.deliver(window, None, RuntimeError("server is shutting down"))
                    return
            self.run_batch(batch)

    def run_batch(self, batch: list[tuple[InferenceClient, Window, float]]) -> None:
        started = self._clock()
        background = _is_background(batch[0][1])
        try:
            if background:
                results = [window.run(self.transcriber) for _, window, _ in batch]
            else:
                results = self.transcriber.transcribe_batch([window.request for _, window, _ in batch])
            error = None
        except Exception as exc:  # a model failure must not kill the worker; the clients are told
            log.exception("inference failed for a batch of %d", len(batch))
            results, error = [None] * len(batch), exc
        finished = self._clock()
        if background:
            with self._cond:
                self._background -= 1
                self._cond.notify()
        else:
            self._last_live = finished
        busy = finished - started
        finals = [since for _, window, since in batch if window.kind == FINAL]
        self.meter.record(busy, busy if finals else 0.0, [c for c, _, _ in batch],
                          [finished - since for since in finals])
        _report(self.on_batch, BatchReport(len(batch), busy, [(window.kind, started - since, finished - since)
                                                              for _, window, since in batch], error is not None))
        if log.isEnabledFor(logging.DEBUG):
            log.debug("batch of %d in %.2f s: %s", len(batch), busy, "; ".join(
                f"{getattr(client, 'uid', '?')} {window.describe()} (waited {started - since:.2f} s)"
                for client, window, since in batch))
        for (client, window, _), result in zip(batch, results):
            try:
                client.deliver(window, result, error)
            except Exception:
                log.exception("delivering a result failed")
            self.notify(client)


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
                        result = window.run(self.transcriber) if _is_background(window) else \
                            self.transcriber.transcribe_batch([window.request])[0]
                        error = None
                    except Exception as exc:
                        log.exception("inference failed")
                        result, error = None, exc
                    busy = self._clock() - started
                finished = self._clock()
                self.meter.record(busy, busy if window.kind == FINAL else 0.0, [client],
                                  [finished - state[1]] if window.kind == FINAL else [])
                _report(self.on_batch, BatchReport(1, busy, [(window.kind, started - state[1], finished - state[1])],
                                                   error is not None))
                client.deliver(window, result, error)
                if error is not None:
                    break


def _report(observer: Optional[Callable[[BatchReport], None]], report: BatchReport) -> None:
    """Hand ``report`` to ``observer``; a failing observer must not stop a worker."""
    if observer is None:
        return
    try:
        observer(report)
    except Exception:
        log.exception("the batch observer failed")
