"""How loaded the shared model is, and whether one more client fits.

A :class:`LoadMeter` measures, over a sliding horizon, the workers' busy time and how quickly final windows
were served, and what those finals would have cost on the quality ladder's cheapest rung
(whisper_live/ladder.py). The scheduler records every model call in it; it tells the streams whether the
model has room for work that only improves accuracy (:meth:`LoadMeter.has_room`: decoding agreed text
again as a final), judged by how quickly recent finals were served, and the scheduler whether a file's
next step may run.

:class:`Admission` reads the meter to answer whether one more client fits (docs/streaming.md,
"Admission"), how many more would (the HAProxy agent), and how much capacity is still free (the status
figures).
"""

from __future__ import annotations

import collections
import threading
import time
from dataclasses import dataclass
from typing import Callable, Optional

# Work that only improves accuracy (decoding agreed text again as a final: Stream) is asked for
# while the finals of the meter's horizon were served within this (s) at p90, from the moment they were due
# to their result: the finals' delay tells a light load from a heavy one, where the share of worker time
# spent on finals does not (docs/streaming.md, "Agreement"). The scheduler asks for economical finals from
# the same delay on (scheduler.ECONOMY_WAIT).
ROOM_BELOW_FINAL_DELAY = 1.0


@dataclass(frozen=True)
class Load:
    """The load over a :class:`LoadMeter`'s horizon (of some clients, or of all)."""

    utilization: float  # share of the workers' time spent in model calls
    final_utilization: float  # ... in model calls of final windows
    speakers: int  # clients admitted or seen in a model call within the horizon
    final_rate: float  # worker time the final windows took per second each speaker was there
    final_delay_p90: float  # s from a final's due time to its result, p90 (of every client's finals)
    finals: int  # final windows served (of every client)
    # ... as if every final had been decoded on the quality ladder's cheapest rung (the same without a ladder)
    final_floor_rate: float = 0.0
    floor_delay_p90: float = 0.0  # ... of the finals decoded on the cheapest rung
    floor_finals: int = 0


@dataclass(eq=False)
class _Stretch:
    """One client's stretch within the horizon: when it began (its admission or first model call), and
    its last model call. The meter's batches name the stretches, not the clients, so a client that left
    is not kept alive by them and a later client never takes over its figures."""

    first_seen: float
    last_seen: float


class LoadMeter:
    """Busy time and service times over a sliding horizon, for admission and for the status figures."""

    def __init__(self, workers: int, horizon: float = 30.0, clock: Callable[[], float] = time.monotonic):
        self.workers = max(1, workers)
        self.horizon = horizon
        self._clock = clock
        self._lock = threading.Lock()
        # (end, busy s, final busy s, final busy s at the cheapest rung, [_Stretch])
        self._batches: collections.deque = collections.deque()
        # (end, delay from audio arrival, decoded on the cheapest rung)
        self._final_delays: collections.deque = collections.deque()
        # per client admitted or seen in a model call, by the client object (hashable by identity): its
        # stretch; forgotten when it leaves, or when a whole horizon passes without a call of its own
        self._stretches: dict[object, _Stretch] = {}

    def record(self, busy: float, final_busy: float, clients: list, final_delays: list[float],
               floor_share: float = 1.0, at_floor: bool = True) -> None:
        """One model call of ``busy`` s (``final_busy`` of it for final windows) for ``clients``; the finals'
        delays from due to result. ``floor_share``: the share of the finals' model time they would have taken
        on the quality ladder's cheapest rung; ``at_floor``: they were decoded on it."""
        now = self._clock()
        with self._lock:
            self._batches.append((now, busy, final_busy, final_busy * floor_share,
                                  [self._seen(c, now) for c in clients]))
            for delay in final_delays:
                self._final_delays.append((now, delay, at_floor))
            self._expire(now)

    def register(self, client) -> None:
        """``client`` was admitted: it counts as a speaker from now on, until a whole horizon passes without
        a model call of its own (a silent client)."""
        with self._lock:
            self._seen(client, self._clock())

    def _seen(self, client, now: float) -> _Stretch:
        stretch = self._stretches.get(client)
        if stretch is None:
            stretch = self._stretches[client] = _Stretch(now, now)
        stretch.last_seen = now
        return stretch

    def forget(self, client) -> None:
        """``client`` left: it no longer counts as a speaker, and the meter holds no reference to it."""
        with self._lock:
            self._stretches.pop(client, None)

    def _expire(self, now: float) -> None:
        while self._batches and self._batches[0][0] < now - self.horizon:
            self._batches.popleft()
        while self._final_delays and self._final_delays[0][0] < now - self.horizon:
            self._final_delays.popleft()
        for client in [c for c, stretch in self._stretches.items() if stretch.last_seen < now - self.horizon]:
            del self._stretches[client]

    def has_room(self) -> bool:
        """Whether the model has room for work that only improves accuracy: finals are served in time."""
        with self._lock:
            self._expire(self._clock())
            delays = sorted(d for _, d, _ in self._final_delays)
        return len(delays) < 3 or _p90(delays) < ROOM_BELOW_FINAL_DELAY

    def snapshot(self, clients: Optional[list] = None) -> Load:
        """Load over the horizon; with ``clients``, only the work done for those clients counts."""
        now = self._clock()
        with self._lock:
            self._expire(now)
            speakers = list(self._stretches.values()) if clients is None else \
                [self._stretches[c] for c in dict.fromkeys(clients) if c in self._stretches]
            wanted = set(speakers)
            capacity = self.workers * self.horizon
            busy = final_busy = floor_busy = 0.0
            for _, batch_busy, batch_final_busy, batch_floor_busy, stretches in self._batches:
                share = stretches if clients is None else [s for s in stretches if s in wanted]
                if not share:
                    continue
                busy += batch_busy * len(share) / len(stretches)
                final_busy += batch_final_busy * len(share) / len(stretches)
                floor_busy += batch_floor_busy * len(share) / len(stretches)
            delays = sorted(d for _, d, _ in self._final_delays)
            floor_delays = sorted(d for _, d, at_floor in self._final_delays if at_floor)
            present = sum(min(self.horizon, now - s.first_seen) for s in speakers)
        return Load(utilization=busy / capacity, final_utilization=final_busy / capacity, speakers=len(speakers),
                    final_rate=final_busy / present if present > 0 else 0.0, final_delay_p90=_p90(delays),
                    finals=len(delays), final_floor_rate=floor_busy / present if present > 0 else 0.0,
                    floor_delay_p90=_p90(floor_delays), floor_finals=len(floor_delays))


def _p90(values: list[float]) -> float:
    """The 90th percentile of sorted ``values`` (0 for none)."""
    return values[min(len(values) - 1, int(0.9 * len(values)))] if values else 0.0


class Admission:
    """Answers whether one more client fits: ``max_clients``, and the measured real-time headroom.

    A new continuous speaker is assumed to cost what the current speakers cost on average: the worker time
    their final windows would have taken on the quality ladder's cheapest rung (whisper_live/ladder.py) per
    second each of them was there (from its admission, or from its first
    model call within the meter's horizon), so that speakers who came a few seconds ago count for those
    seconds, not for the whole horizon, and clients admitted a moment ago count before their first window:
    when many connect at once, their load is not yet in the horizon's total. A client with no model call
    for a whole horizon (a silent one) no longer counts. Only final windows count as necessary work
    (partials fill whatever capacity is left, so they always look busy).
    The server refuses (WAIT) when the projected final-window utilization would pass
    ``max_final_utilization`` (each speaker counted at what its finals would cost on the quality ladder's
    cheapest rung), or when finals already take longer than ``latency_target`` at p90 from the moment the end
    of an utterance was confirmed to the moment its transcript was ready, on whatever rung.
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
        if self._behind(load):
            return 0
        fits = 0
        while fits < room and self._projected_final_utilization(load, fits + 1) <= self.max_final_utilization:
            fits += 1
        return fits

    def _measured_load(self, connected: list) -> Optional[Load]:
        """The load ``connected`` put on the model, when admission judges by it (enough finals measured)."""
        if not self.enabled or not connected:
            return None
        load = self.meter.snapshot(connected)
        return load if load.speakers and load.finals >= 3 else None

    def _projected_final_utilization(self, load: Load, more: int) -> float:
        """Final-window utilization with ``more`` speakers, each costing what the current ones cost on the
        quality ladder's cheapest rung."""
        return load.final_floor_rate * (load.speakers + more) / self.meter.workers

    def _behind(self, load: Load) -> bool:
        """Whether final transcripts already take longer than ``--latency_target`` at p90, whatever rung of the
        quality ladder they were decoded on: a server that is late now takes no one more."""
        return load.final_delay_p90 > self.latency_target

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
            if self._behind(load):
                return (f"the server is already behind: final transcripts take "
                        f"{load.final_delay_p90:.1f} s (target {self.latency_target:.1f} s)")
        return None

    def headroom(self, connected: list) -> float:
        """The share of capacity still free for new clients, 0 (a new client gets WAIT) to 1 (idle).

        The smaller of the free client slots (of ``max_clients``) and, when admission control measures the
        load, the final-window utilisation still free below ``max_final_utilization``.
        """
        if self.refuse_reason(connected) is not None:
            return 0.0
        room = 1.0 - len(connected) / max(1, self.max_clients)
        load = self._measured_load(connected)
        if load is not None:
            room = min(room, 1.0 - self._projected_final_utilization(load, 0) / self.max_final_utilization)
        return max(0.0, min(1.0, room))
