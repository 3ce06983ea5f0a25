"""One WebSocket session with a server: options, admission, audio out, replies in.

Replies are read on a background thread so that sending audio never waits on the server; everything the
server says is handed to a :class:`SessionHandler` from that thread.
"""

from __future__ import annotations

import contextlib
import logging
import socket
import ssl
import threading
from typing import Optional

from websockets.exceptions import ConnectionClosed, InvalidHandshake, InvalidStatus, InvalidURI
from websockets.sync.client import ClientConnection, connect

from whisper_live.protocol import END_OF_AUDIO, ClientOptions, Reply, parse_reply

from .errors import ServerBusy, ServerRejected, ServerUnreachable

log = logging.getLogger(__name__)


class SessionHandler:
    """What a session tells its owner. Called on the session's reader thread; keep it quick."""

    def on_reply(self, reply: Reply) -> None:
        """Any reply after admission: segments, language, warning, error or disconnect."""

    def on_closed(self) -> None:
        """The connection is gone (after DISCONNECT, an error, or a drop); called once."""


def server_url(host: str, port: int, use_wss: bool = False) -> str:
    if "://" in host:  # a full ws:// or wss:// address given as host
        return host
    scheme = "wss" if use_wss else "ws"
    if ":" in host and not host.startswith("["):  # IPv6 literal
        host = f"[{host}]"
    return f"{scheme}://{host}:{port}"


def tls_context(ca_file: Optional[str] = None) -> ssl.SSLContext:
    """Verifies the server's certificate against the system's CAs, or against ``ca_file`` (PEM) when given."""
    return ssl.create_default_context(cafile=ca_file) if ca_file else ssl.create_default_context()


class Session:
    """A session's life: :meth:`open` (admission), :meth:`send` audio, :meth:`finish`, :meth:`close`.

    ``api_key`` is sent as ``Authorization: Bearer KEY``; ``ca_file`` verifies a ``wss://`` server.
    """

    def __init__(self, url: str, options: ClientOptions, handler: Optional[SessionHandler] = None,
                 open_timeout: float = 10.0, api_key: Optional[str] = None, ca_file: Optional[str] = None):
        self.url = url
        self.api_key = api_key
        self.ca_file = ca_file
        self.options = options
        self.handler = handler or SessionHandler()
        self.open_timeout = open_timeout
        self.backend: Optional[str] = None
        self.error: Optional[str] = None          # the server's ERROR message, if any
        self.disconnected = False                 # the server sent DISCONNECT
        self.ended_early = False                  # ... before this client sent END_OF_AUDIO
        self.warnings: list[str] = []
        self._ws: Optional[ClientConnection] = None
        self._reader: Optional[threading.Thread] = None
        self._closed = threading.Event()
        self._eos_sent = False

    # --- admission ------------------------------------------------------------------------------------

    def open(self) -> Reply:
        """Connect and wait for SERVER_READY. Raises ServerUnreachable, ServerBusy or ServerRejected."""
        extra = {}
        if self.api_key:
            extra["additional_headers"] = {"Authorization": f"Bearer {self.api_key}"}
        if self.url.lower().startswith("wss:"):
            extra["ssl"] = tls_context(self.ca_file)
        try:
            # Entered as a context manager, the form websockets asks for (17.1 deprecates the bare call).
            self._ws = contextlib.ExitStack().enter_context(
                connect(self.url, open_timeout=self.open_timeout, close_timeout=2, max_size=None,
                        compression=None, **extra))
        except InvalidStatus as exc:
            status = exc.response.status_code
            if status == 401:
                raise ServerRejected(f"{self.url} needs a valid API key (--api_key): HTTP 401") from None
            if status == 403:
                raise ServerRejected(f"{self.url} does not accept this client's origin: HTTP 403") from None
            raise ServerUnreachable(f"cannot connect to {self.url}: HTTP {status}") from None
        except (OSError, TimeoutError, InvalidHandshake, InvalidURI, ssl.SSLError) as exc:
            raise ServerUnreachable(f"cannot connect to {self.url}: {_reason(exc)}") from None
        try:
            self._ws.send(self.options.to_message())
            while True:
                try:
                    text = self._ws.recv(timeout=self.open_timeout)
                except TimeoutError:
                    raise ServerUnreachable(
                        f"{self.url} accepted the connection but did not answer within {self.open_timeout:g} s"
                    ) from None
                if isinstance(text, bytes):
                    continue
                reply = parse_reply(text)
                if reply.kind == "ready":
                    self.backend = reply.backend
                    break
                if reply.kind == "wait":
                    raise ServerBusy(_minutes(reply.message))
                if reply.kind == "error":
                    raise ServerRejected(f"server refused the session: {reply.message}")
                if reply.kind == "disconnect":
                    raise ServerRejected("server closed the session before it started")
                if reply.kind == "warning":
                    self.warnings.append(str(reply.message))
                    self.handler.on_reply(reply)
                # anything else before SERVER_READY is ignored, as the stock client does
        except ConnectionClosed:
            self._ws.close()
            raise ServerRejected(f"{self.url} closed the connection before the session started") from None
        except BaseException:
            self._ws.close()
            raise
        self._reader = threading.Thread(target=self._read, name="whisper-live-reader", daemon=True)
        self._reader.start()
        return reply

    # --- audio ----------------------------------------------------------------------------------------

    @property
    def closed(self) -> bool:
        return self._closed.is_set()

    def send(self, frame: bytes) -> bool:
        """Send one binary audio frame; False when the connection is already gone."""
        if self._ws is None or self.closed:
            return False
        try:
            self._ws.send(frame)
            return True
        except (ConnectionClosed, OSError):
            return False

    def finish(self, timeout: float = 60.0) -> bool:
        """Send END_OF_AUDIO and wait until the server has sent its last segments and closed.

        Returns False when the server did not close within ``timeout`` seconds.
        """
        if not self._eos_sent:
            self._eos_sent = True
            self.send(END_OF_AUDIO)
        return self.wait_closed(timeout)

    @property
    def finished_sending(self) -> bool:
        return self._eos_sent

    def wait_closed(self, timeout: Optional[float] = None) -> bool:
        return self._closed.wait(timeout)

    def close(self) -> None:
        if self._ws is not None:
            try:
                self._ws.close()
            except Exception:  # closing is best effort
                pass
        if self._reader is not None and self._reader is not threading.current_thread():
            self._reader.join(timeout=5)
        self._mark_closed()

    # --- replies --------------------------------------------------------------------------------------

    def _read(self) -> None:
        assert self._ws is not None
        try:
            for message in self._ws:
                if isinstance(message, bytes):
                    continue
                try:
                    reply = parse_reply(message)
                except ValueError:
                    log.warning("ignoring a reply that is not JSON: %.80r", message)
                    continue
                if reply.kind == "error":
                    self.error = str(reply.message)
                elif reply.kind == "disconnect":
                    self.disconnected = True
                    self.ended_early = not self._eos_sent
                elif reply.kind == "warning":
                    self.warnings.append(str(reply.message))
                try:
                    self.handler.on_reply(reply)
                except Exception:
                    log.exception("transcription handler failed")
        except ConnectionClosed:
            pass
        except OSError as exc:
            log.debug("connection lost: %s", exc)
        finally:
            self._mark_closed()

    def _mark_closed(self) -> None:
        if not self._closed.is_set():
            self._closed.set()
            try:
                self.handler.on_closed()
            except Exception:
                log.exception("close handler failed")


def _minutes(value) -> Optional[float]:
    try:
        return float(value)
    except (TypeError, ValueError):
        return None


def _reason(exc: BaseException) -> str:
    if isinstance(exc, ConnectionRefusedError):
        return "connection refused (is the server running?)"
    if isinstance(exc, socket.gaierror):
        return f"unknown host ({exc.strerror or exc})"
    if isinstance(exc, TimeoutError):
        return "timed out"
    text = str(exc) or type(exc).__name__
    return text.splitlines()[0]
