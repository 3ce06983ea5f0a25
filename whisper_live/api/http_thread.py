"""uvicorn serving the API in a thread of the server's process, beside the WebSocket server.

:class:`ApiServer` starts it on ``host:port`` (over TLS when given an ``ssl.SSLContext``), and stops it
two ways: :meth:`stop` at once, or :meth:`drain`: refuse new requests and Realtime sessions (503, or the
WebSocket closed with 1013), let those in flight finish (a Realtime session ends once the audio it has
is transcribed), then stop.
"""

from __future__ import annotations

import logging
import ssl as ssl_module
import threading
import time
from typing import Optional, Sequence

log = logging.getLogger(__name__)

STARTUP_TIMEOUT = 30.0


class ApiServer:
    def __init__(self, server, *, host: str, port: int, max_upload_mb: float, dependencies: Sequence = (),
                 ssl_context: Optional[ssl_module.SSLContext] = None, app=None):
        """``app``: an app made by :func:`whisper_live.api.app.create_app` with middleware added; by
        default one is made here."""
        import uvicorn

        from whisper_live.api.app import create_app
        from whisper_live.api.reader_link import WithTransport

        self.app = app or create_app(server, max_upload_mb=max_upload_mb, dependencies=dependencies)
        self.state = self.app.state.api
        self.host, self.port = host, port
        factory = (lambda config, default: ssl_context) if ssl_context is not None else None
        # uvloop where it is installed (requirements/api.txt, not on Windows), and HTTP by h11: a room's line to
        # a thousand readers is a thousand writes framed by h11 (whisper_live/api/direct_send.py), and uvloop's
        # transports make them in C (1000 readers, p99 after the speaker: 0.10-0.11 s on asyncio's loop,
        # 0.05-0.08 s on uvloop's; docs/rooms.md).
        self._server = uvicorn.Server(uvicorn.Config(
            WithTransport(self.app), host=host, port=port, log_level="warning", lifespan="off", loop="auto",
            http="h11", ws="websockets-sansio", ws_max_size=4 * 1024 * 1024, ssl_context_factory=factory))
        self._thread: Optional[threading.Thread] = None

    def start(self) -> "ApiServer":
        """Listen; OSError when the port cannot be had."""
        self._thread = threading.Thread(target=self._server.run, name="rest-api", daemon=True)
        self._thread.start()
        deadline = time.monotonic() + STARTUP_TIMEOUT
        while not self._server.started:
            if not self._thread.is_alive() or time.monotonic() > deadline:
                raise OSError(f"the API cannot listen on {self.host}:{self.port}")
            time.sleep(0.05)
        log.info("OpenAI-compatible API on %s://%s:%d/v1", "https" if self._server.config.ssl_context_factory
                 else "http", self.host, self.port)
        return self

    def drain(self, timeout: float = 30.0) -> bool:
        """Stop taking work, wait up to ``timeout`` s for what is in flight, then stop. True when all ended."""
        finished = self.state.drain(timeout)
        self.stop()
        return finished

    def stop(self, timeout: float = 5.0) -> None:
        rooms = getattr(self.state.server, "rooms", None)
        if rooms is not None:  # room readers are told the server stops, and their streams end
            rooms.stop()
        self._server.should_exit = True
        if self._thread is not None:
            self._thread.join(timeout)
            if self._thread.is_alive():
                self._server.force_exit = True
                self._thread.join(timeout)
