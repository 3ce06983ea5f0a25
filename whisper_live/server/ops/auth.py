"""Who may connect: API keys, allowed browser origins, connections per address, REST request rate.

Plain objects with no I/O, shared by the WebSocket port (``whisper_live.server.ops.endpoints``) and any HTTP layer:

* :class:`ApiKeys`: ``Authorization: Bearer KEY`` or ``?token=KEY``; compared in constant time, never logged.
* :class:`OriginPolicy`: a browser's ``Origin`` header must be listed; by default the server's own host
  (the request's ``Host``) and localhost. Requests without ``Origin`` (non-browser clients) pass.
* :class:`ConnectionLimiter`: at most N open connections per client address.
* :class:`RateLimiter`: at most N requests per minute per client address (a token bucket refilled evenly).
"""

from __future__ import annotations

import hmac
import threading
import time
from pathlib import Path
from typing import Callable, Iterable, Optional
from urllib.parse import parse_qs, urlsplit

LOCAL_HOSTS = frozenset({"localhost", "127.0.0.1", "::1"})
# Browser extensions' origins: no web page can send them, and the project's own extensions connect from them.
EXTENSION_SCHEMES = ("chrome-extension://", "moz-extension://", "safari-web-extension://")


class ApiKeys:
    """The keys a client may present; empty means no key is needed."""

    def __init__(self, keys: Iterable[str] = ()):
        self._keys = [k.encode() for k in keys if k]

    @property
    def required(self) -> bool:
        return bool(self._keys)

    def __len__(self) -> int:
        return len(self._keys)

    def __repr__(self) -> str:  # never shows a key
        return f"ApiKeys({len(self._keys)} keys)"

    def valid(self, presented: Optional[str]) -> bool:
        """Whether ``presented`` is one of the keys. Every key is compared, in constant time per key."""
        if not self._keys:
            return True
        if not presented:
            return False
        candidate = presented.encode("utf-8", "surrogateescape")
        found = False
        for key in self._keys:
            found |= hmac.compare_digest(candidate, key)
        return found

    def allows(self, authorization: Optional[str], target: str = "", query_token: bool = True) -> bool:
        """Whether a request with this ``Authorization`` header and request target carries a valid key."""
        return not self._keys or self.valid(presented_key(authorization, target if query_token else ""))


def read_keys(keys: Iterable[str] = (), keys_file: Optional[str] = None) -> list[str]:
    """Keys given directly plus those of ``keys_file`` (one a line; blank lines and ``#`` comments skipped).

    Raises OSError when the file cannot be read.
    """
    found = [k for k in keys or () if k]
    if keys_file:
        for line in Path(keys_file).read_text().splitlines():
            line = line.strip()
            if line and not line.startswith("#"):
                found.append(line)
    return found


def presented_key(authorization: Optional[str], target: str = "") -> Optional[str]:
    """The key in ``Authorization: Bearer KEY``, else in the target's ``?token=KEY``; None without one."""
    if authorization:
        scheme, _, value = authorization.strip().partition(" ")
        if scheme.lower() == "bearer" and value.strip():
            return value.strip()
    if "?" in target:
        tokens = parse_qs(urlsplit(target).query).get("token")
        if tokens:
            return tokens[0]
    return None


def host_name(value: str) -> str:
    """The host of ``host[:port]`` or of a URL's network location, lower case, without brackets."""
    value = value.strip().lower()
    if "://" in value:
        return (urlsplit(value).hostname or "").lower()
    if value.startswith("["):
        return value[1:].split("]", 1)[0]
    return value.rsplit(":", 1)[0] if value.count(":") == 1 else value


class OriginPolicy:
    """Which browser origins may connect.

    ``allowed`` lists origins (``https://app.example.com``, with the port where it is not the scheme's) or
    ``*`` for any. None (the default) allows the origin of the server itself (its host in the request's
    ``Host`` header, any port), localhost, and browser extensions (``chrome-extension://``, ...).
    """

    def __init__(self, allowed: Optional[Iterable[str]] = None):
        self.allowed = None if allowed is None else {o.strip().rstrip("/").lower() for o in allowed if o.strip()}

    @classmethod
    def parse(cls, values: Optional[Iterable[str]]) -> "OriginPolicy":
        """From flag values, each one origin or a comma-separated list; None or empty: the default."""
        origins = [o for v in values or () for o in v.split(",") if o.strip()]
        return cls(origins or None)

    def allows(self, origin: Optional[str], host_header: Optional[str]) -> bool:
        if origin is None:
            return True  # not a browser: nothing to check
        origin = origin.strip().rstrip("/").lower()
        if self.allowed is not None:
            return "*" in self.allowed or origin in self.allowed
        if origin.startswith(EXTENSION_SCHEMES):
            return True
        host = host_name(origin)
        return host in LOCAL_HOSTS or (bool(host_header) and host == host_name(host_header))

    def describe(self) -> str:
        return "this server's host, localhost and browser extensions" if self.allowed is None else ", ".join(sorted(self.allowed))


class ConnectionLimiter:
    """Counts open connections per client address; ``limit`` 0 or None: no limit."""

    def __init__(self, limit: Optional[int] = None):
        self.limit = limit or 0
        self._open: dict[str, int] = {}
        self._lock = threading.Lock()

    def acquire(self, address: str) -> bool:
        """Count one more connection from ``address``; False (and nothing counted) when at the limit."""
        with self._lock:
            count = self._open.get(address, 0)
            if self.limit and count >= self.limit:
                return False
            self._open[address] = count + 1
            return True

    def release(self, address: str) -> None:
        with self._lock:
            count = self._open.get(address, 0) - 1
            if count > 0:
                self._open[address] = count
            else:
                self._open.pop(address, None)

    def open_from(self, address: str) -> int:
        with self._lock:
            return self._open.get(address, 0)


class RateLimiter:
    """At most ``per_minute`` requests per client address, refilled evenly (a burst of up to ``per_minute``).

    ``per_minute`` 0 or None: no limit.
    """

    def __init__(self, per_minute: Optional[int] = None, clock: Callable[[], float] = time.monotonic,
                 max_tracked: int = 10000):
        self.per_minute = per_minute or 0
        self._clock = clock
        self._buckets: dict[str, tuple[float, float]] = {}  # address -> (tokens, when)
        self._lock = threading.Lock()
        self._max_tracked = max_tracked

    def check(self, address: str) -> tuple[bool, float]:
        """(allowed, seconds until the next request would be allowed); takes one request when allowed."""
        if not self.per_minute:
            return True, 0.0
        rate = self.per_minute / 60.0
        now = self._clock()
        with self._lock:
            tokens, when = self._buckets.get(address, (float(self.per_minute), now))
            tokens = min(float(self.per_minute), tokens + (now - when) * rate)
            if tokens >= 1.0:
                self._buckets[address] = (tokens - 1.0, now)
                allowed, retry = True, 0.0
            else:
                self._buckets[address] = (tokens, now)
                allowed, retry = False, (1.0 - tokens) / rate
            if len(self._buckets) > self._max_tracked:  # forget full buckets: they hold nothing
                full = [a for a, (t, w) in self._buckets.items() if t + (now - w) * rate >= self.per_minute]
                for a in full:
                    del self._buckets[a]
        return allowed, retry
