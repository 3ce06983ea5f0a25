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
  decoding call), so a batch of them saves little and each would wait for all the others. On the quality
  ladder's greedy rungs they are batched as partials are, since the encoder then runs once for the batch
  (what it saves: docs/streaming.md, "The shared scheduler");
* ask each chosen client for its window *now* (:meth:`InferenceClient.take_window`), so a client that fell
  behind sends one longer window instead of a queue of stale ones: latency adapts to load;
* decode each window at the rung of the quality ladder (whisper_live/ladder.py) that the load allows: at
  each choice it tells the ladder whether finals are late (the one chosen waited ``economy_wait``
  seconds, or more than two finals wait per worker); the ladder steps down a rung when they are (less
  context, then greedy finals, then fewer partial windows) and back up once they have not been for a
  while; a late final is decoded at least at the ``short_context`` rung itself (``Stream.take_window``).
  So offline-style finals are thorough while the machine keeps up, and cheaper when it does not;
* run the batch and hand every result back;
* serve other work (a whole file's next step: whisper_live/file_work.py) only when no live window waits
  and, while live clients are at work, recent finals were served in time (the load meter's
  :meth:`~whisper_live.admission.LoadMeter.has_room`), one per call, on at most
  ``workers - 1`` workers at once (all of one worker), so that a live window that arrives meanwhile finds
  a worker free or waits for one file window at most.

Every model call is recorded in the scheduler's :class:`~whisper_live.admission.LoadMeter` (``meter``),
which the streams and admission control read.

A client has at most one window in flight, silence produces no work at all (the streaming core asks for
a window only when new speech arrived), and committed audio is never transcribed again.
"""

from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass, field
from typing import Callable, NamedTuple, Optional, Protocol

from whisper_live.admission import ROOM_BELOW_FINAL_DELAY, LoadMeter
from whisper_live.ladder import QualityLadder, Rung
from whisper_live.transcriber.base import Result, Transcriber
from whisper_live.streaming.windows import FINAL, PARTIAL, Pending, Window
from whisper_live.runner import speaker_of

log = logging.getLogger(__name__)

# A final window chosen this long (s) after its utterance's end was confirmed, or while more than
# ECONOMY_QUEUE finals per worker wait, is late: the quality ladder steps down, and the final is decoded
# at least at its short_context rung. Sooner costs WER (docs/streaming.md, "Finals with context"). The
# load meter's room for extra finals ends at the same delay.
ECONOMY_WAIT = ROOM_BELOW_FINAL_DELAY
ECONOMY_QUEUE = 2


# Scheduling ranks: finals, then partials, then any other kind of work (background: a file's next step)
_RANKS = {FINAL: 0, PARTIAL: 1}
BACKGROUND = 2
BACKGROUND_RECHECK = 0.5  # s between looks at the load meter while background work waits for room
# Background work waits while finals were served late (the meter's has_room) only while live windows ran
# within this many seconds: once the live clients are quiet or gone, late finals of the past do not count.
LIVE_LATELY = 2.0


def is_background(window) -> bool:
    """Work that runs itself on the transcriber (``run``) instead of being one request of a batch."""
    return getattr(window, "run", None) is not None


class InferenceClient(Protocol):
    def pending(self) -> Optional[Pending]: ...

    def take_window(self, rung: Optional[Rung] = None) -> Optional[Window]: ...

    def deliver(self, window: Window, result: Optional[Result], error: Optional[BaseException]) -> None: ...


class Candidate(NamedTuple):
    """A client with work, as :meth:`Scheduler.select` weighs it."""

    rank: int  # FINAL's rank, PARTIAL's, or BACKGROUND: the lower goes first
    since: float  # when its waiting work became due (monotonic s)
    seconds: float  # how much audio its window would hold
    client: "InferenceClient"


class BatchEntry(NamedTuple):
    """One window of a batch: whose it is, and since when it waited."""

    client: "InferenceClient"
    window: Window
    since: float


@dataclass
class BatchReport:
    """One model call, for whoever watches the scheduler (the server's metrics): ``Scheduler.on_batch``."""

    size: int
    seconds: float  # the model call
    windows: list  # per window: (kind, seconds from due to the call's start, seconds from due to its result)
    failed: bool = False
    final_rungs: list = field(default_factory=list)  # per final decoded: the quality ladder's rung (name)


class Scheduler:
    """Shared-model scheduler: fair queue, cross-client batches, one window in flight per client.

    A :class:`~whisper_live.runner.Runner`."""

    def __init__(self, transcriber: Transcriber, *, workers: Optional[int] = None,
                 max_batch_size: Optional[int] = None, max_final_batch_size: Optional[int] = None,
                 economy_wait: float = ECONOMY_WAIT, clock: Callable[[], float] = time.monotonic,
                 ladder: Optional[QualityLadder] = None):
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
        self.ladder = ladder or QualityLadder(clock=clock)
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

    def select(self) -> list[BatchEntry]:
        """Choose the next batch. Caller holds no client lock."""
        candidates = []
        for client in list(self._ready):
            state = client.pending()
            if state is None:
                self._ready.pop(client, None)
            else:
                state = Pending(*state)
                candidates.append(Candidate(_RANKS.get(state.kind, BACKGROUND), state.since, state.seconds, client))
        self._deferred = False
        if any(c.rank == BACKGROUND for c in candidates):
            if self._background >= self.max_background:  # (one that ends notifies the workers)
                candidates = [c for c in candidates if c.rank != BACKGROUND]
            elif self._live_lately() and not self.meter.has_room():  # (room may come without any notify)
                candidates = [c for c in candidates if c.rank != BACKGROUND]
                self._deferred = True
        if not candidates:
            return []
        candidates.sort(key=lambda c: (c.rank, c.since))
        final = candidates[0].rank == _RANKS[FINAL]
        late = final and self._late(candidates[0].since, sum(1 for c in candidates if c.rank == _RANKS[FINAL]))
        rung = self.ladder.observe(late, candidates[0].since if final else None)
        if rung.partial_wait:  # the ladder's cheapest rungs: a partial window waits for more new audio
            young = [c for c in candidates if c.rank == _RANKS[PARTIAL] and self._clock() - c.since < rung.partial_wait]
            if young:
                candidates = [c for c in candidates if c not in young]
                self._deferred = True  # (the workers look again soon: time alone makes a partial due)
                if not candidates:
                    return []
        head = candidates[0]
        padded = lambda seconds: self.transcriber.padded_seconds(seconds, final)  # noqa: E731
        others = sorted((c for c in candidates[1:] if c.rank == head.rank),
                        key=lambda c: (abs(padded(c.seconds) - padded(head.seconds)), c.since))
        size = {_RANKS[FINAL]: self.max_final_batch_size, _RANKS[PARTIAL]: self.max_batch_size}.get(head.rank, 1)
        if final:
            rung = self.ladder.for_final(late)
            if rung.final_beam_size == 1:  # greedy finals (the ladder's cheap rungs) share a call as partials do
                size = self.max_batch_size
        batch = []
        for chosen in [head] + others[:size - 1]:
            window = chosen.client.take_window(rung)
            self._ready.pop(chosen.client, None)
            if window is not None:
                if not is_background(window):
                    window.rung = rung.name
                batch.append(BatchEntry(chosen.client, window, chosen.since))
        if head.rank == BACKGROUND and batch:
            self._background += 1
        return batch

    def _rung_named(self, name: str) -> Rung:
        """The ladder's rung called ``name`` (the cheapest for an unknown one: counted as admission's floor)."""
        return next((r for r in self.ladder.rungs if r.name == name), self.ladder.cheapest)

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

    def run_batch(self, batch: list[BatchEntry]) -> None:
        started = self._clock()
        background = is_background(batch[0].window)
        try:
            if background:
                results = [entry.window.run(self.transcriber) for entry in batch]
            else:
                results = self.transcriber.transcribe_batch([entry.window.request for entry in batch])
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
        finals = [entry for entry in batch if entry.window.kind == FINAL]
        rung = self._rung_named(finals[0].window.rung) if finals else self.ladder.cheapest
        self.meter.record(busy, busy if finals else 0.0, [speaker_of(entry.client) for entry in batch],
                          [finished - entry.since for entry in finals], floor_share=self.ladder.cost_at_cheapest(rung),
                          at_floor=rung.cost <= self.ladder.cheapest.cost)
        report_batch(self.on_batch, BatchReport(len(batch), busy, [
            (entry.window.kind, started - entry.since, finished - entry.since) for entry in batch], error is not None,
            final_rungs=[entry.window.rung for entry in finals if not error]))
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


def report_batch(observer: Optional[Callable[[BatchReport], None]], report: BatchReport) -> None:
    """Hand ``report`` to ``observer``; a failing observer must not stop a worker."""
    if observer is None:
        return
    try:
        observer(report)
    except Exception:
        log.exception("the batch observer failed")
