"""Delivering a call's transcription callbacks to its webhook: in order, with retries, never in the way.

Each call gets a :class:`CallWebhook`: a queue and one sender thread of its own, so its callbacks
arrive in the order they were made (``SequenceId``) and a slow or dead webhook holds up only that
call's deliveries, never its audio (``send`` only queues) and never another call. A delivery that gets
a 5xx, 408 or 429 answer, times out or cannot connect is tried again after a backoff that doubles
(``backoff`` .. ``max_backoff`` s) up to ``max_attempts`` times; any other answer but 2xx ends it.
Redirects are not followed: they could lead past the callback policy.

:meth:`CallWebhook.close` (the call has ended) gives the queue up to ``drain_timeout`` s to empty, then
stops and joins the thread; what could not be delivered by then is given up. Every callback given up
is logged with its transcript and counted in :class:`WebhookCounters`, for /metrics.
"""

from __future__ import annotations

import http.client
import logging
import queue
import socket
import ssl
import threading
import time
import urllib.parse
from typing import Callable, Optional

from whisper_live.telephony.callback_policy import Target
from whisper_live.telephony.transcription_callbacks import transcript_of

log = logging.getLogger(__name__)

RETRY_STATUSES = (408, 429)
MAX_QUEUED = 10000  # callbacks waiting per call before new ones are given up


class WebhookCounters:
    """Totals over all calls (thread-safe): what /metrics exports."""

    def __init__(self):
        self._lock = threading.Lock()
        self.delivered = 0  # callbacks the webhook took (2xx)
        self.retries = 0  # attempts after a failed one
        self.undelivered = 0  # callbacks given up (logged with their text)
        self.refused = 0  # calls whose callback URL the policy refused

    def add(self, name: str, n: int = 1) -> None:
        with self._lock:
            setattr(self, name, getattr(self, name) + n)

    def snapshot(self) -> dict[str, int]:
        with self._lock:
            return {"delivered": self.delivered, "retries": self.retries, "undelivered": self.undelivered,
                    "refused": self.refused}


def post_form(target: Target, fields: dict[str, str], timeout: float) -> int:
    """POST ``fields`` form-encoded to the checked ``target`` (to its checked address); the status code."""
    sock = socket.create_connection((target.address, target.port), timeout=timeout)
    try:
        if target.scheme == "https":
            sock = ssl.create_default_context().wrap_socket(sock, server_hostname=target.host)
            conn: http.client.HTTPConnection = http.client.HTTPSConnection(target.host, target.port, timeout=timeout)
        else:
            conn = http.client.HTTPConnection(target.host, target.port, timeout=timeout)
        conn.sock = sock  # connect to the address the policy checked, not to a fresh lookup of the name
        body = urllib.parse.urlencode(fields).encode()
        conn.request("POST", target.path, body=body, headers={
            "Content-Type": "application/x-www-form-urlencoded", "User-Agent": "whisper-live-telephony"})
        response = conn.getresponse()
        response.read(65536)
        return response.status
    finally:
        sock.close()


class CallWebhook:
    """One call's deliveries to one webhook: :meth:`send` (never blocks), then :meth:`close`."""

    def __init__(self, target: Target, counters: WebhookCounters, *, call_sid: str = "", timeout: float = 5.0,
                 max_attempts: int = 6, backoff: float = 0.5, max_backoff: float = 8.0,
                 drain_timeout: float = 10.0, post: Callable[[Target, dict, float], int] = post_form):
        self.target = target
        self.counters = counters
        self.call_sid = call_sid
        self.timeout = timeout
        self.max_attempts = max_attempts
        self.backoff = backoff
        self.max_backoff = max_backoff
        self.drain_timeout = drain_timeout
        self._post = post
        self._queue: queue.Queue = queue.Queue()
        self._stop = threading.Event()  # set after the drain deadline: give up what is left
        self._deadline: Optional[float] = None
        self._lock = threading.Lock()
        self._thread: Optional[threading.Thread] = None
        self._closed = False

    def send(self, fields: dict[str, str]) -> None:
        """Queue one callback; it goes after every one queued before it."""
        with self._lock:
            if self._closed:
                self._give_up(fields, "the call's webhook sender is closed", 0)
                return
            if self._queue.qsize() >= MAX_QUEUED:
                self._give_up(fields, f"{MAX_QUEUED} callbacks already wait for this webhook", 0)
                return
            if self._thread is None:
                self._thread = threading.Thread(target=self._run, name=f"webhook-{self.call_sid or 'call'}",
                                                daemon=True)
                self._thread.start()
            self._queue.put(fields)

    def close(self, drain_timeout: Optional[float] = None) -> None:
        """Deliver what is queued for up to ``drain_timeout`` s, give up the rest, and join the thread."""
        with self._lock:
            if self._closed:
                return
            self._closed = True
            thread = self._thread
            if thread is None:
                return
            self._deadline = time.monotonic() + (self.drain_timeout if drain_timeout is None else drain_timeout)
            self._queue.put(None)
        remaining = self._deadline - time.monotonic()
        thread.join(max(0.0, remaining))
        self._stop.set()  # past the deadline: the attempt under way is the last one
        thread.join()

    @property
    def pending(self) -> int:
        return self._queue.qsize()

    def _run(self) -> None:
        while True:
            fields = self._queue.get()
            if fields is None:
                return
            self._deliver(fields)

    def _deliver(self, fields: dict[str, str]) -> None:
        reason, attempts = "the call ended and its drain time ran out", 0
        while attempts < self.max_attempts:
            if attempts:
                delay = min(self.max_backoff, self.backoff * 2 ** (attempts - 1))
                if self._deadline is not None:
                    delay = min(delay, max(0.0, self._deadline - time.monotonic()))
                if self._stop.wait(delay) or self._past_deadline():
                    break
                self.counters.add("retries")
            elif self._stop.is_set() or self._past_deadline():
                break
            attempts += 1
            try:
                status = self._post(self.target, fields, self.timeout)
            except (OSError, http.client.HTTPException) as exc:  # timeouts and refused connections included
                reason = f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__
                continue
            if 200 <= status < 300:
                self.counters.add("delivered")
                return
            reason = f"HTTP {status}"
            if status < 500 and status not in RETRY_STATUSES:
                break
        self._give_up(fields, reason, attempts)

    def _past_deadline(self) -> bool:
        return self._deadline is not None and time.monotonic() >= self._deadline

    def _give_up(self, fields: dict[str, str], reason: str, attempts: int) -> None:
        self.counters.add("undelivered")
        log.warning("call %s: %s callback %s not delivered to %s after %d attempt(s) (%s); transcript: %r",
                    self.call_sid or "?", fields.get("TranscriptionEvent", "?"), fields.get("SequenceId", "?"),
                    self.target.host, attempts, reason, transcript_of(fields))
