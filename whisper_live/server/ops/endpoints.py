"""What the WebSocket port answers before (or instead of) a WebSocket handshake.

``websockets`` parses every request on the port and hands it to :meth:`Endpoints.process_request`, which

* answers ``/health``, ``/ready`` and ``/metrics`` (``whisper_live.server.ops.health``, ``.metrics``);
* checks a WebSocket upgrade: its ``Origin`` (403), its API key (401, before the upgrade; on ``/twilio`` with
  ``--twilio_auth_token``, Twilio's ``X-Twilio-Signature`` or a key, else 403), the connections already open
  from its address (429), then whether it is taken (``upgrades``: a place held, or a 503 that sends a load
  balancer elsewhere, whisper_live/server/ops/balancer.py); None lets the handshake go on;
* serves the web page for any other GET (``whisper_live.web.http``: a file or 404);
* answers 405 to other methods on those paths, 404 elsewhere.

Headers too large get websockets' own 431; a request it cannot parse is closed. Nothing here logs a key.
"""

from __future__ import annotations

import http
import logging
from dataclasses import dataclass, field
from typing import Callable, Optional

from websockets.http11 import Request, Response

from whisper_live.server.ops.auth import ApiKeys, ConnectionLimiter, OriginPolicy
from whisper_live.server.ops.health import ServerState, liveness, readiness
from whisper_live.server.ops.metrics import Metrics
from whisper_live.server.ops.plain_http import closing_response, is_websocket_upgrade
from whisper_live.telephony import signature
from whisper_live.telephony.media_stream import STREAM_PATH

log = logging.getLogger(__name__)

STATUS_PATHS = ("/health", "/ready", "/metrics")
JSON = "application/json"
TEXT = "text/plain; charset=utf-8"


@dataclass
class AccessPolicy:
    """Who may use the port: keys, origins, connections per address, and whether status needs a key."""

    keys: ApiKeys = field(default_factory=ApiKeys)
    origins: OriginPolicy = field(default_factory=OriginPolicy)
    per_ip: ConnectionLimiter = field(default_factory=ConnectionLimiter)
    status_requires_key: bool = False  # /ready and /metrics need the key too (/health never does)
    # --twilio_auth_token: a /twilio upgrade needs Twilio's X-Twilio-Signature (or a key, when keys are on)
    twilio_auth_token: Optional[str] = field(default=None, repr=False)

    def status_needs_key(self, path: str) -> bool:
        return self.status_requires_key and path != "/health"


def response(status: int, body: bytes = b"", content_type: str = TEXT, headers: tuple = ()) -> Response:
    """A complete HTTP response that closes the connection (no body: the status line's words)."""
    return closing_response(status, body or f"{status} {http.HTTPStatus(status).phrase}\n".encode(), content_type,
                            headers)


def status_answer(path: str, state: Callable[[], ServerState], metrics: Metrics) -> tuple[int, bytes, str]:
    """(HTTP status, body, content type) of a status path, the same on every port (the key is checked before)."""
    if path == "/metrics":
        body, content_type = metrics.exposition()
        return 200, body, content_type
    status, body = (liveness if path == "/health" else readiness)(state())
    return status, body, JSON


def client_address(connection) -> str:
    """The peer's IP address; "" when unknown (a socket the peer closed before it was served has none)."""
    try:
        address = getattr(connection, "remote_address", None)
    except OSError:
        return ""
    return str(address[0]) if address else ""


class Endpoints:
    """The ``process_request`` hook of the WebSocket port."""

    def __init__(self, state: Callable[[], ServerState], metrics: Metrics, access: AccessPolicy,
                 static: Optional[Callable[[str], Response]] = None,
                 upgrades: Optional[Callable[[object, Request], Optional[Response]]] = None):
        self.state = state
        self.metrics = metrics
        self.access = access
        self.static = static
        self.upgrades = upgrades

    def process_request(self, connection, request: Request) -> Optional[Response]:
        path = request.path.split("?", 1)[0]
        upgrade = is_websocket_upgrade(request)
        if request.method != "GET":
            if upgrade or path in STATUS_PATHS or (self.static and self.static(path).status_code == 200):
                self.metrics.errors.labels(type="http").inc()
                return response(405, headers=(("Allow", "GET"),))
            return self._not_found()
        if path in STATUS_PATHS and not upgrade:
            return self._status(path, request)
        if upgrade:
            return self._check_upgrade(connection, request)
        if self.static is None:
            return self._not_found()
        reply = self.static(request.path)
        if reply.status_code == 404:
            self.metrics.errors.labels(type="http").inc()
        return reply

    def status_response(self, request: Request) -> Response:
        """The answer of a port that serves only the status paths (``--metrics_port``)."""
        path = request.path.split("?", 1)[0]
        if path not in STATUS_PATHS:
            return self._not_found()
        if request.method != "GET":
            self.metrics.errors.labels(type="http").inc()
            return response(405, headers=(("Allow", "GET"),))
        return self._status(path, request)

    # --- status ---------------------------------------------------------------------------------------------

    def _status(self, path: str, request: Request) -> Response:
        if self.access.status_needs_key(path) and not self._has_key(request, query_token=False):
            return _unauthorized()
        return response(*status_answer(path, self.state, self.metrics))

    # --- WebSocket upgrades ---------------------------------------------------------------------------------

    def _check_upgrade(self, connection, request: Request) -> Optional[Response]:
        access = self.access
        if not access.origins.allows(request.headers.get("Origin"), request.headers.get("Host")):
            self.metrics.reject("origin")
            log.info("refused a WebSocket from origin %r (allowed: %s)", request.headers.get("Origin"),
                     access.origins.describe())
            return response(403, b"403 Forbidden: this origin may not connect (see --cors-origins)\n")
        if _is_twilio(request) and self.access.twilio_auth_token:
            if not self._twilio_signed(request) and not (access.keys.required and self._has_key(request, True)):
                self.metrics.reject("twilio_signature")
                log.info("refused a /twilio stream: no valid X-Twilio-Signature")
                return response(403, b"403 Forbidden: X-Twilio-Signature does not match (--twilio_auth_token)\n")
        elif not self._has_key(request, query_token=True):
            self.metrics.reject("auth")
            return _unauthorized()
        address = client_address(connection)
        if access.per_ip.limit and access.per_ip.open_from(address) >= access.per_ip.limit:
            self.metrics.reject("per_ip_limit")
            return response(429, f"429 Too Many Requests: at most {access.per_ip.limit} connections from "
                                 f"one address\n".encode())
        return self.upgrades(connection, request) if self.upgrades is not None else None

    def _twilio_signed(self, request: Request) -> bool:
        return signature.is_valid_stream(self.access.twilio_auth_token, request.headers.get(signature.HEADER),
                                         request.headers.get("Host", ""), request.path)

    def _has_key(self, request: Request, query_token: bool) -> bool:
        return self.access.keys.allows(request.headers.get("Authorization"), request.path, query_token)

    def _not_found(self) -> Response:
        self.metrics.errors.labels(type="http").inc()
        return response(404)


def _unauthorized() -> Response:
    return response(401, b"401 Unauthorized: a valid API key is needed (Authorization: Bearer KEY, "
                         b"or ?token=KEY on a WebSocket)\n", headers=(("WWW-Authenticate", "Bearer"),))


def _is_twilio(request: Request) -> bool:
    return request.path.split("?", 1)[0].rstrip("/") == STREAM_PATH
