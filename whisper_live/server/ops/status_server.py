"""``--metrics_port``: /metrics, /health and /ready on a port of their own (plain HTTP, or HTTPS with TLS).

The answers are the WebSocket port's (:class:`whisper_live.server.ops.endpoints.Endpoints`, with the same key
rules); any other path is 404 and any other method 405.
"""

from __future__ import annotations

import logging
import ssl
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Optional

from websockets.datastructures import Headers
from websockets.http11 import Request

from whisper_live.server.ops.endpoints import Endpoints

log = logging.getLogger(__name__)


class StatusServer:
    def __init__(self, host: str, port: int, endpoints: Endpoints, context: Optional[ssl.SSLContext] = None):
        handler = type("StatusHandler", (_Handler,), {"endpoints": endpoints})
        self._httpd = _HttpServer((host, port), handler)
        self._httpd.daemon_threads = True
        if context is not None:
            # the handshake happens on the request's own thread, so a slow client cannot stall accept()
            self._httpd.socket = context.wrap_socket(self._httpd.socket, server_side=True,
                                                     do_handshake_on_connect=False)
        self.port = self._httpd.server_address[1]
        self._thread = threading.Thread(target=self._httpd.serve_forever, name="status-server", daemon=True)

    def start(self) -> None:
        self._thread.start()
        log.info("metrics, health and readiness on port %d", self.port)

    def stop(self) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()


class _HttpServer(ThreadingHTTPServer):
    def handle_error(self, request, client_address) -> None:
        """A client that breaks off, or speaks plain HTTP to TLS, is its own problem: one line, no traceback."""
        log.debug("status port: request from %s failed: %s", client_address[0], sys.exc_info()[1])


class _Handler(BaseHTTPRequestHandler):
    endpoints: Endpoints
    server_version = "whisper-live"
    sys_version = ""

    def _answer(self) -> None:
        request = Request(self.path, Headers(self.headers.items()), self.command)
        reply = self.endpoints.status_response(request)
        self.send_response(reply.status_code, reply.reason_phrase)
        for name, value in reply.headers.raw_items():
            if name.lower() not in ("date", "server"):
                self.send_header(name, value)
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(reply.body)

    do_GET = do_POST = do_PUT = do_DELETE = do_PATCH = do_HEAD = do_OPTIONS = _answer

    def log_message(self, format, *args) -> None:  # requests are not logged (a target may carry a key)
        pass
