"""The server's access rules, metrics and status on the API's port (docs/operations.md, "Using the pieces
from the REST app"): the same objects as on the WebSocket port, so both count into one registry and answer
from one state.

* ``/health``, ``/ready``, ``/metrics``: as on the WebSocket port (``/ready`` and ``/metrics`` need the key
  with ``--status_requires_key``).
* Every other request: its ``Origin`` (403 when not allowed), the requests per minute from its address
  (429 with ``Retry-After``), its API key as ``Authorization: Bearer KEY`` (401; a browser's CORS
  preflight carries none and needs none), in that order.
* ``whisperlive_rest_requests_total{endpoint,status}`` counts every answer, by route template.

The Realtime WebSocket checks origin and key before its handshake (:func:`websocket_refusal`).
"""

from __future__ import annotations

import math
import re
from typing import Callable

from fastapi import Request
from starlette.responses import JSONResponse, Response

from whisper_live.api.errors import error_body
from whisper_live.server.ops.auth import RateLimiter
from whisper_live.server.ops.endpoints import STATUS_PATHS, status_answer

# Route templates for the metric's endpoint label (never the raw path, whose ids are unbounded).
_TEMPLATES = ((re.compile(r"^/v1/models/.+"), "/v1/models/{model_id}"),)
_ROUTES = ("/v1/audio/transcriptions", "/v1/audio/translations", "/v1/models", "/v1/realtime") + STATUS_PATHS


def endpoint_label(path: str) -> str:
    if path in _ROUTES:
        return path
    for pattern, template in _TEMPLATES:
        if pattern.match(path):
            return template
    return "other"


def _refusal(status: int, message: str, code: str, headers=None) -> JSONResponse:
    return JSONResponse(error_body(message, code=code), status_code=status, headers=headers)


def _key_refusal() -> JSONResponse:
    return _refusal(401, "a valid API key is required: send it as 'Authorization: Bearer KEY'", "invalid_api_key",
                    {"WWW-Authenticate": "Bearer"})


def install(app, server) -> tuple[list, Callable[[str, int], None]]:
    """Add the server's status routes (and CORS headers for a list of origins) to ``app``; the access checks
    and the request counter for its gate (whisper_live/api/gate.py)."""
    access, metrics = server.access, server.metrics
    limiter = RateLimiter(server.config.rate_limit_rpm or None)

    def key_ok(request) -> bool:
        return access.keys.allows(request.headers.get("authorization"), query_token=False)

    def status_route(path: str):
        async def status(request: Request):
            if access.status_needs_key(path) and not key_ok(request):
                return _key_refusal()
            code, body, content_type = status_answer(path, server.state, metrics)
            return Response(body, status_code=code, media_type=content_type)
        return status

    for path in STATUS_PATHS:
        app.add_api_route(path, status_route(path), methods=["GET"])

    def origin(request):
        if request.url.path in STATUS_PATHS or access.origins.allows(request.headers.get("origin"),
                                                                     request.headers.get("host")):
            return None
        return _refusal(403, f"origin {request.headers.get('origin')!r} is not allowed (--cors-origins)",
                        "origin_not_allowed")

    def rate(request):
        if request.url.path in STATUS_PATHS:
            return None
        allowed, retry = limiter.check(request.client.host if request.client else "")
        return None if allowed else _refusal(429, "too many requests from this address (--rate_limit_rpm)",
                                             "rate_limited", {"Retry-After": str(max(1, math.ceil(retry)))})

    def key(request):
        preflight = request.scope["method"] == "OPTIONS" and "access-control-request-method" in request.headers
        return None if request.url.path in STATUS_PATHS or preflight or key_ok(request) else _key_refusal()

    def count(path: str, status: int) -> None:
        metrics.rest_requests.labels(endpoint=endpoint_label(path), status=str(status)).inc()

    if access.origins.allowed is not None:
        from starlette.middleware.cors import CORSMiddleware

        app.add_middleware(CORSMiddleware, allow_origins=list(access.origins.allowed), allow_methods=["*"],
                           allow_headers=["*"])
    return [origin, rate, key], count


def websocket_refusal(websocket, server):
    """Why the Realtime handshake is refused (origin, API key), or None."""
    access = server.access
    if not access.origins.allows(websocket.headers.get("origin"), websocket.headers.get("host")):
        return "origin_not_allowed"
    if not access.keys.allows(websocket.headers.get("authorization"), str(websocket.url), query_token=True):
        return "invalid_api_key"
    return None
