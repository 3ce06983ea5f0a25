"""The quality ladder: how thoroughly live windows are decoded, one rung cheaper each time finals fall behind.

A :class:`Rung` says how a final window is decoded (the most context it replays, the widest beam) and how
often a partial window is worth a model call. :data:`RUNGS`, from the most accurate to the cheapest:

0. ``full``: finals as the server is configured (beam 5 going on from 20 s of context, by default);
1. ``short_context``: at most 8 s of context (most of a continued final's cost is its context's encoding);
2. ``greedy``: and greedy instead of beam search, still going on from the context (the scheduler batches
   greedy finals);
3. ``slow_partials``: and a partial window only once its oldest new audio waited 1.5 s (instead of each
   0.5 s of new speech), leaving the workers to the finals.

:class:`QualityLadder` is the state machine the scheduler drives (whisper_live/scheduler.py). At each choice
of work it says whether finals are behind (the final chosen waited ``ECONOMY_WAIT``, or too many finals
wait per worker): the ladder steps one rung down when they are, at most once per ``down_after`` seconds, and
only for a final that became due after the last move (a final that waited through the last move says
nothing about the rung it will be decoded at). It steps one rung up after ``up_after`` seconds without a late
final. The two waits differ so that it does not flap: stepping down is urgent (latency), stepping up is a
trial. A trial that fails (finals fall behind within ``up_after`` of stepping up) doubles the wait before
the next one, up to ``max_up_after``; a rung that holds for that long resets it. docs/streaming.md, "The
quality ladder", says how the figures were chosen.

A final that is late itself is decoded at least at ``short_context`` whatever the ladder's rung
(:meth:`QualityLadder.for_final`), as before the ladder: one late final costs no accuracy to any other.

Admission (whisper_live/admission.py) counts each final's model time as it would have cost at the cheapest
rung (``Rung.cost``), so that it refuses only what even the cheapest rung cannot serve.
"""

from __future__ import annotations

import logging
import math
import threading
import time
from dataclasses import dataclass
from typing import Callable, Optional

log = logging.getLogger(__name__)

SHORT_CONTEXT_SECONDS = 8.0  # the context of a final decoded below the top rung
SLOW_PARTIAL_WAIT = 1.5  # s a partial window's oldest new audio waits on the cheapest rung

DOWN_AFTER = 1.0  # s between two steps down at least
UP_AFTER = 10.0  # s without a late final before a step up
MAX_UP_AFTER = 80.0  # ... at most, after failed trials


@dataclass(frozen=True)
class Rung:
    """How thoroughly live windows are decoded on one rung of the ladder."""

    name: str
    final_context: Optional[float] = None  # s of context a final replays at most (None: as configured)
    final_beam_size: Optional[int] = None  # a final's beam at most (None: as configured; 1: greedy)
    partial_wait: float = 0.0  # s a partial window's oldest new audio must have waited (0: none)
    # A final's model time on this rung relative to the top rung's, as estimated for the default finals
    # (docs/streaming.md, "The quality ladder"): what admission scales the measured cost by.
    cost: float = 1.0

    def describe(self) -> str:
        parts = []
        if self.final_context is not None:
            parts.append(f"context <= {self.final_context:g} s")
        if self.final_beam_size is not None:
            parts.append("greedy" if self.final_beam_size <= 1 else f"beam <= {self.final_beam_size}")
        if self.partial_wait:
            parts.append(f"partials every {self.partial_wait:g} s")
        return f"{self.name} ({', '.join(parts) or 'as configured'})"


FULL = Rung("full")
SHORT_CONTEXT = Rung("short_context", final_context=SHORT_CONTEXT_SECONDS, cost=0.6)
GREEDY = Rung("greedy", final_context=SHORT_CONTEXT_SECONDS, final_beam_size=1, cost=0.4)
SLOW_PARTIALS = Rung("slow_partials", final_context=SHORT_CONTEXT_SECONDS, final_beam_size=1,
                     partial_wait=SLOW_PARTIAL_WAIT, cost=0.4)
RUNGS = (FULL, SHORT_CONTEXT, GREEDY, SLOW_PARTIALS)
ECONOMY = 1  # the rung of a final that is late itself, at least (RUNGS[ECONOMY] is SHORT_CONTEXT)


class QualityLadder:
    """Which rung live windows are decoded at now, moved by whether finals fall behind (module docstring)."""

    def __init__(self, rungs: tuple = RUNGS, *, clock: Callable[[], float] = time.monotonic,
                 down_after: float = DOWN_AFTER, up_after: float = UP_AFTER, max_up_after: float = MAX_UP_AFTER,
                 on_move: Optional[Callable[[Rung], None]] = None):
        self.rungs = tuple(rungs)
        self._clock = clock
        self.down_after = down_after
        self.base_up_after = up_after
        self.up_after = up_after  # the wait now (doubled by failed trials)
        self.max_up_after = max_up_after
        self.on_move = on_move  # told of every move (the server's metrics)
        self._index = 0
        self._moved_at = -math.inf
        self._behind_at = -math.inf  # the last late final's choice
        self._raised_at: Optional[float] = None  # the last step up, while it is on trial
        self._lock = threading.Lock()

    @property
    def index(self) -> int:
        return self._index

    @property
    def rung(self) -> Rung:
        return self.rungs[self._index]

    @property
    def cheapest(self) -> Rung:
        return self.rungs[-1]

    def cost_at_cheapest(self, rung: Rung) -> float:
        """What a final decoded at ``rung`` would have cost at the cheapest rung, as a share of its cost."""
        return self.cheapest.cost / rung.cost if rung.cost > 0 else 1.0

    def observe(self, behind: bool, since: Optional[float] = None) -> Rung:
        """One reading: finals are ``behind`` (the final chosen now, due at ``since``, was late) or not.
        Moves the ladder by the rules above and returns the rung it is on."""
        with self._lock:
            now = self._clock()
            before = self._index
            if behind and (since is None or since >= self._moved_at):
                self._behind_at = now
                if self._raised_at is not None:  # the trial of the rung above failed
                    self.up_after = min(self.max_up_after, self.up_after * 2)
                    self._raised_at = None
                if self._index < len(self.rungs) - 1 and now - self._moved_at >= self.down_after:
                    self._index += 1
                    self._moved_at = now
            elif not behind:
                if self._raised_at is not None and now - self._raised_at >= self.up_after:
                    self.up_after, self._raised_at = self.base_up_after, None  # the trial held
                if self._index > 0 and now - max(self._behind_at, self._moved_at) >= self.up_after:
                    self._index -= 1
                    self._moved_at = self._raised_at = now
            rung, moved = self.rungs[self._index], self._index != before
        if moved:
            log.info("quality ladder: %s to %s", "down" if self._index > before else "up", rung.describe())
            if self.on_move is not None:
                try:
                    self.on_move(rung)
                except Exception:
                    log.exception("the quality ladder's observer failed")
        return rung

    def for_final(self, late: bool) -> Rung:
        """The rung a final is decoded at: the ladder's, and at least ``ECONOMY`` when it is late itself."""
        index = self._index
        return self.rungs[max(index, min(ECONOMY, len(self.rungs) - 1)) if late else index]
