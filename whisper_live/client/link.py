"""Opus bitrate that follows the link: measured from the socket's send backlog and the transcript's lag.

What a client can see of its link: the bytes it wrote that the server has not acknowledged yet (the TCP
send queue, Linux's ``SIOCOUTQ``; it grows as soon as the link carries less than the audio needs, long
before a ``send`` blocks, because the kernel's send buffer holds seconds of audio), and how far the
server's transcript lags behind the audio sent (which also grows when the audio waits somewhere further
on, or the server is slow).

:class:`BitrateAdapter` is the policy, on a clock it is given: it steps the bitrate down (32, 24, 16, 12,
8 kbit/s) while the backlog stays above :data:`HIGH_BACKLOG` seconds of audio and is not shrinking, at
most once a :data:`DOWN_EVERY`; and up one step once the backlog has stayed under :data:`LOW_BACKLOG`, with
the transcript keeping up, for a while (:data:`UP_AFTER`, doubled each time a step up had to be taken back
soon after, up to :data:`LONGEST_UP_AFTER`). :class:`AdaptiveBitrate` ties it to a session and an encoder.
"""

from __future__ import annotations

import array
import fcntl
import time
from typing import Callable, Optional, Sequence

BITRATES_KBPS = (32, 24, 16, 12, 8)
DEFAULT_KBPS = 24
HIGH_BACKLOG = 0.5  # seconds of audio unacknowledged: the link is falling behind
LOW_BACKLOG = 0.1  # ... the link keeps up
DOWN_EVERY = 1.0  # seconds between two steps down
UP_AFTER = 5.0  # seconds the link must keep up before a step up
LONGEST_UP_AFTER = 60.0
LAG_LIMIT = 4.0  # seconds the transcript may lag behind the audio sent for a step up

try:
    import termios

    _OUTQ = termios.TIOCOUTQ  # the same request as SIOCOUTQ on a socket
except (ImportError, AttributeError):  # pragma: no cover - not Linux
    _OUTQ = None


def unsent_bytes(sock) -> Optional[int]:
    """Bytes written to a TCP socket that the peer has not acknowledged yet; None where unknown."""
    if _OUTQ is None or sock is None:
        return None
    try:
        buffer = array.array("i", [0])
        fcntl.ioctl(sock.fileno(), _OUTQ, buffer, True)
        return int(buffer[0])
    except (OSError, ValueError):
        return None


class BitrateAdapter:
    """``update(backlog_bytes, lag_seconds) -> kbit/s`` to encode at from now on."""

    def __init__(self, start_kbps: int = DEFAULT_KBPS, steps: Sequence[int] = BITRATES_KBPS,
                 clock: Callable[[], float] = time.monotonic):
        self.steps = sorted(steps, reverse=True)
        if start_kbps not in self.steps:
            raise ValueError(f"start_kbps must be one of {self.steps}")
        self.clock = clock
        self.kbps = start_kbps
        now = clock()
        self._changed_at = now
        self._reference_bytes: Optional[int] = None  # the backlog when the last step down was judged
        self._judged_at = now
        self._clear_since: Optional[float] = None  # since when the link keeps up
        self._up_at: Optional[float] = None  # the last step up
        self.up_after = UP_AFTER

    def backlog_seconds(self, backlog_bytes: int) -> float:
        """Seconds of audio at the current bitrate that ``backlog_bytes`` hold."""
        return backlog_bytes / (self.kbps * 1000 / 8)

    def update(self, backlog_bytes: Optional[int], lag_seconds: Optional[float] = None) -> int:
        now = self.clock()
        if backlog_bytes is None:
            return self.kbps  # nothing to judge by: keep the bitrate
        backlog = self.backlog_seconds(backlog_bytes)
        if backlog > HIGH_BACKLOG:
            self._clear_since = None
            if now - self._judged_at >= DOWN_EVERY or self._reference_bytes is None:
                growing = self._reference_bytes is None or backlog_bytes >= self._reference_bytes
                self._reference_bytes, self._judged_at = backlog_bytes, now
                if growing and now - self._changed_at >= DOWN_EVERY:
                    self._step(+1, now)
            return self.kbps
        self._reference_bytes = None
        keeping_up = backlog < LOW_BACKLOG and (lag_seconds is None or lag_seconds < LAG_LIMIT)
        if not keeping_up:
            self._clear_since = None
            return self.kbps
        if self._clear_since is None:
            self._clear_since = now
        if now - max(self._clear_since, self._changed_at) >= self.up_after:
            self._step(-1, now)
            self._clear_since = now
        return self.kbps

    def _step(self, direction: int, now: float) -> None:
        """One step down (+1) or up (-1) the list of bitrates, if there is one."""
        index = self.steps.index(self.kbps) + direction
        if not 0 <= index < len(self.steps):
            return
        if direction > 0 and self._up_at is not None and now - self._up_at < 2 * self.up_after:
            self.up_after = min(LONGEST_UP_AFTER, self.up_after * 2)  # that step up was too much
        if direction < 0:
            self._up_at = now
        self.kbps = self.steps[index]
        self._changed_at = now


class AdaptiveBitrate:
    """An Opus encoder's bitrate kept to a session's link: call :meth:`adapt` before each chunk is encoded,
    :meth:`heard` with each segments update."""

    def __init__(self, encoder, start_kbps: int = DEFAULT_KBPS, clock: Callable[[], float] = time.monotonic):
        self.encoder = encoder
        self.adapter = BitrateAdapter(start_kbps, clock=clock)
        self.sent_seconds = 0.0
        self.lag_seconds: Optional[float] = None
        self.changes = 0
        encoder.set_bitrate(start_kbps)

    def adapt(self, session, seconds: float) -> int:
        """Before ``seconds`` more audio are encoded: the bitrate for them."""
        kbps = self.adapter.update(session.unsent_bytes(), self.lag_seconds)
        if kbps != self.encoder.bitrate_kbps:
            self.encoder.set_bitrate(kbps)
            self.changes += 1
        self.sent_seconds += seconds
        return kbps

    def heard(self, segments) -> None:
        """A segments update: how far its last segment's end lags behind the audio sent."""
        if segments:
            self.lag_seconds = max(0.0, self.sent_seconds - max(s.end for s in segments))
