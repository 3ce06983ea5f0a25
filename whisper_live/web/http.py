"""Serve the browser page on the WebSocket port.

``websockets`` parses every request on the port as a WebSocket handshake; a ``process_request`` hook can answer
it with an HTTP response instead. :func:`process_request` answers plain GETs (no ``Upgrade: websocket``) with
the files under ``static/`` and lets WebSocket upgrades through untouched::

    from websockets.sync.server import serve
    from whisper_live.web.http import process_request

    with serve(handler, "0.0.0.0", 9090, process_request=process_request) as server:
        server.serve_forever()

Only files under ``static/`` are ever read: the path is percent-decoded, ``..``/hidden/odd segments are refused,
and the resolved file must still lie inside the static folder (symlinks pointing out are refused too).
"""

from __future__ import annotations

import http
import mimetypes
from pathlib import Path
from typing import Optional
from urllib.parse import unquote

from websockets.http11 import Request, Response

from whisper_live.server.ops.plain_http import closing_response, is_websocket_upgrade

from . import STATIC_DIR

INDEX = "index.html"

# Explicit types for what the page ships; mimetypes' table differs between systems (.js, .mjs, .wasm).
CONTENT_TYPES = {
    ".html": "text/html; charset=utf-8",
    ".js": "text/javascript; charset=utf-8",
    ".mjs": "text/javascript; charset=utf-8",
    ".css": "text/css; charset=utf-8",
    ".json": "application/json",
    ".svg": "image/svg+xml",
    ".png": "image/png",
    ".ico": "image/x-icon",
    ".txt": "text/plain; charset=utf-8",
    ".wav": "audio/wav",
    ".wasm": "application/wasm",
    ".map": "application/json",
}

# The page only talks to its own origin: scripts, styles and the worklet from here, the WebSocket back to the
# same host (CSP's 'self' does not cover ws: in every browser, hence the schemes), media from files the user
# picked (blob:). Images may come from the API's port too: a room's QR code (/v1/rooms/ROOM/qr.svg).
CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data: http: https:; "
    "media-src 'self' blob: mediastream:; connect-src 'self' ws: wss:; worker-src 'self'; "
    "object-src 'none'; base-uri 'none'; frame-ancestors 'self'"
)


def resolve_static(path: str, root: Path = STATIC_DIR) -> Optional[Path]:
    """Map a request target to a file under ``root``, or None when there is no such (allowed) file."""
    raw = path.split("?", 1)[0].split("#", 1)[0] or "/"
    decoded = unquote(raw, errors="strict") if "%" in raw else raw
    if "\\" in decoded or "\x00" in decoded:
        return None
    parts = [part for part in decoded.split("/") if part]
    if any(part in (".", "..") or part.startswith(".") for part in parts):
        return None
    if not parts or decoded.endswith("/"):
        parts.append(INDEX)
    root = root.resolve()
    try:
        candidate = root.joinpath(*parts).resolve()
    except (OSError, RuntimeError):
        return None
    if not candidate.is_relative_to(root) or not candidate.is_file():
        return None
    return candidate


def content_type(file: Path) -> str:
    suffix = file.suffix.lower()
    if suffix in CONTENT_TYPES:
        return CONTENT_TYPES[suffix]
    guessed, _ = mimetypes.guess_type(file.name)
    return guessed or "application/octet-stream"


def _response(status: http.HTTPStatus, body: bytes, ctype: str, extra: tuple = ()) -> Response:
    # the page's files may be kept, but are checked again before each use (a new version shows at once)
    return closing_response(status.value, body, ctype, extra, cache_control="no-cache")


def static_response(path: str, root: Path = STATIC_DIR) -> Response:
    """The HTTP response for a GET of ``path``: the file, or 404."""
    try:
        file = resolve_static(path, root)
    except UnicodeDecodeError:
        file = None
    if file is None:
        return _response(http.HTTPStatus.NOT_FOUND, b"404 Not Found\n", "text/plain; charset=utf-8")
    try:
        body = file.read_bytes()
    except OSError:
        return _response(http.HTTPStatus.NOT_FOUND, b"404 Not Found\n", "text/plain; charset=utf-8")
    extra = (("Content-Security-Policy", CONTENT_SECURITY_POLICY),) if file.suffix == ".html" else ()
    return _response(http.HTTPStatus.OK, body, content_type(file), extra)


def process_request(connection, request: Request) -> Optional[Response]:
    """``websockets`` hook: the static page for plain GETs, None (go on with the handshake) for upgrades."""
    if is_websocket_upgrade(request):
        return None
    return static_response(request.path)
