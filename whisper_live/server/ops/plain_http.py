"""Plain HTTP on a WebSocket port: a complete response that closes its connection, and the upgrade test.

``websockets`` hands every request on the port to a ``process_request`` hook (the server's status and access
checks in ``endpoints``, the page's files in ``whisper_live.web.http``); both answer with these responses.
"""

from __future__ import annotations

import email.utils
import http

from websockets.datastructures import Headers
from websockets.http11 import Request, Response


def closing_response(status: int, body: bytes, content_type: str, headers: tuple = (),
                     cache_control: str = "no-store") -> Response:
    """A response with ``body`` that closes the connection; ``headers`` are added to the usual ones."""
    return Response(status, http.HTTPStatus(status).phrase, Headers([
        ("Date", email.utils.formatdate(usegmt=True)),
        ("Connection", "close"),
        ("Content-Length", str(len(body))),
        ("Content-Type", content_type),
        ("X-Content-Type-Options", "nosniff"),
        ("Cache-Control", cache_control),
        *headers,
    ]), body)


def is_websocket_upgrade(request: Request) -> bool:
    """True when the request asks for a WebSocket (the handshake should go on)."""
    upgrade = ",".join(request.headers.get_all("Upgrade"))
    return any(token.strip().lower() == "websocket" for token in upgrade.split(","))
