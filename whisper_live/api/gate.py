"""The checks every HTTP request of the API passes first, as one plain ASGI middleware.

Each check looks at the request (a Starlette ``HTTPConnection``: headers, client, path) and returns a
response to refuse it with, or None. ``on_status(path, status)`` is told the status of every answer,
refused or not. A plain ASGI middleware rather than Starlette's ``BaseHTTPMiddleware``: that one wraps the
request's ``receive``, and behind it ``Request.is_disconnected()`` no longer sees a client that left.
"""

from __future__ import annotations

from typing import Callable, Optional, Sequence

from starlette.requests import HTTPConnection


class Gate:
    def __init__(self, app, checks: Sequence[Callable] = (), on_status: Optional[Callable[[str, int], None]] = None):
        self.app = app
        self.checks = list(checks)
        self.on_status = on_status

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path = scope.get("path", "")

        async def told(message):
            if message["type"] == "http.response.start" and self.on_status is not None:
                self.on_status(path, message["status"])
            await send(message)

        connection = HTTPConnection(scope)
        for check in self.checks:
            refusal = check(connection)
            if refusal is not None:
                await refusal(scope, receive, told)
                return
        await self.app(scope, receive, told)
