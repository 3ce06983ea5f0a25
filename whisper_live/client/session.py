"""One WebSocket session with a server: options, admission, audio out, replies in.

Replies are read on a background thread so that sending audio never waits on the server; everything the
server says is handed to a :class:`SessionHandler` from that thread.

When the server offers a resume (a ``resume_token`` in SERVER_READY) and the connection drops before the
session ended, that thread reconnects and resumes the session (bounded retries with backoff, within the
server's resume timeout); audio sent meanwhile is kept and sent once the server says how much it holds.
"""

from __future__ import annotations

import contextlib
import dataclasses
import logging
import socket
import ssl
import threading
import time
import urllib.parse
from typing import Optional

from websockets.exceptions import ConnectionClosed, InvalidHandshake, InvalidStatus, InvalidURI
from websockets.sync.client import ClientConnection, connect

from whisper_live.protocol import AUDIO_FORMATS, END_OF_AUDIO, ClientOptions, Reply, parse_reply

from .errors import ClientError, ServerBusy, ServerRejected, ServerUnreachable
from .link import unsent_bytes
from .reconnect import AudioHistory, retry_delays

log = logging.getLogger(__name__)


class SessionHandler:
    """What a session tells its owner. Called on the session's reader thread; keep it quick."""

    def on_reply(self, reply: Reply) -> None:
        """Any reply after admission: segments, language, warning, error or disconnect."""

    def on_closed(self) -> None:
        """The connection is gone (after DISCONNECT, an error, or a drop); called once."""

    def on_reconnecting(self, attempt: int, delay: float) -> None:
        """The connection dropped; attempt ``attempt`` to resume the session comes in ``delay`` s."""

    def on_resumed(self, audio_received: float) -> None:
        """The session was resumed; the server held ``audio_received`` s of audio, the rest is sent again."""


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
                 open_timeout: float = 10.0, api_key: Optional[str] = None, ca_file: Optional[str] = None,
                 resume: bool = True):
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
        self.resume = resume                      # resume the session when its connection drops
        self.resume_token: Optional[str] = None
        self.room: dict = {}  # a publisher's room: its reader addresses (room_events, room_watch, room_page)
        self.resume_window = 0.0
        self.resumes = 0                          # how often the session was resumed
        self._history: Optional[AudioHistory] = None
        self._send_lock = threading.Lock()
        self._connected = False

    # --- admission ------------------------------------------------------------------------------------

    def open(self) -> Reply:
        """Connect and wait for SERVER_READY. Raises ServerUnreachable, ServerBusy or ServerRejected."""
        self._ws, reply = self._handshake(self._sticky_url() if self.resume else self._room_url(), self.options)
        self.room = reply.room
        if self.resume and reply.resume_token:
            self.resume_token = reply.resume_token
            self.resume_window = reply.resume_window
            dtype = AUDIO_FORMATS.get(self.options.audio_format)  # None: compressed, frames sent whole
            self._history = AudioHistory(reply.resume_window, dtype.itemsize if dtype else None,
                                         self.options.sample_rate)
        self._connected = True
        self._reader = threading.Thread(target=self._read, name="whisper-live-reader", daemon=True)
        self._reader.start()
        return reply

    def _handshake(self, url: str, options: ClientOptions) -> tuple[ClientConnection, Reply]:
        extra = {}
        if self.api_key:
            extra["additional_headers"] = {"Authorization": f"Bearer {self.api_key}"}
        if url.lower().startswith("wss:"):
            extra["ssl"] = tls_context(self.ca_file)
        try:
            # Entered as a context manager, the form websockets asks for (17.1 deprecates the bare call).
            ws = contextlib.ExitStack().enter_context(
                connect(url, open_timeout=self.open_timeout, close_timeout=2, max_size=None,
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
            ws.send(options.to_message())
            while True:
                try:
                    text = ws.recv(timeout=self.open_timeout)
                except TimeoutError:
                    raise ServerUnreachable(
                        f"{self.url} accepted the connection but did not answer within {self.open_timeout:g} s"
                    ) from None
                if isinstance(text, bytes):
                    continue
                reply = parse_reply(text)
                if reply.kind == "ready":
                    self.backend = reply.backend
                    return ws, reply
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
            ws.close()
            raise ServerRejected(f"{self.url} closed the connection before the session started") from None
        except BaseException:
            ws.close()
            raise

    # --- audio ----------------------------------------------------------------------------------------

    @property
    def closed(self) -> bool:
        return self._closed.is_set()

    def send(self, frame: bytes, samples: Optional[int] = None) -> bool:
        """Send one binary audio frame (a compressed one with its number of samples); False when the session
        is over. While the session is being resumed the frame is kept and sent once it is."""
        if self._ws is None or self.closed:
            return False
        with self._send_lock:
            if self._history is not None:
                self._history.add(frame, samples)
            if not self._connected:
                return True
            try:
                self._ws.send(frame)
                return True
            except (ConnectionClosed, OSError):
                return self._history is not None  # the reader notices the drop and resumes

    def unsent_bytes(self) -> Optional[int]:
        """Bytes this client wrote to its connection that the server has not acknowledged yet (the socket's
        send backlog); None where the system does not say (see whisper_live.client.link)."""
        ws = self._ws
        if ws is None or not self._connected:
            return None
        return unsent_bytes(ws.socket)

    def finish(self, timeout: float = 60.0) -> bool:
        """Send END_OF_AUDIO and wait until the server has sent its last segments and closed.

        Returns False when the server did not close within ``timeout`` seconds.
        """
        if not self._eos_sent:
            with self._send_lock:
                self._eos_sent = True
                if self._connected:
                    try:
                        self._ws.send(END_OF_AUDIO)
                    except (ConnectionClosed, OSError):
                        pass  # the reader resumes, then sends it
        return self.wait_closed(timeout)

    @property
    def finished_sending(self) -> bool:
        return self._eos_sent

    def wait_closed(self, timeout: Optional[float] = None) -> bool:
        return self._closed.wait(timeout)

    def close(self) -> None:
        self.resume = False
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
        try:
            while self._read_connection() and self._resume():
                pass
        finally:
            self._mark_closed()

    def _read_connection(self) -> bool:
        """Hand the replies of the current connection to the handler; True when it dropped in a way the
        session may be resumed from."""
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
        with self._send_lock:
            self._connected = False
        return (self._history is not None and self.resume and not self.disconnected and self.error is None
                and not self.closed)

    def _sticky_url(self) -> str:
        """The server's URL with this session's uid as a parameter, on its first connection and on each
        resume: a load balancer in front of several servers sends a resume to the server that holds the
        session by it (deploy/haproxy/haproxy.cfg: a stick table on ``uid``)."""
        url = self._room_url()
        separator = "&" if "?" in url else "?"
        return f"{url}{separator}uid={urllib.parse.quote(self.options.uid)}"

    def _room_url(self) -> str:
        """The server's URL with the room this session publishes into as ``?room=`` (when it asks for one): a
        load balancer sends every publisher and reader of a room to the server that holds it by it
        (deploy/haproxy/haproxy.cfg: a stick table on the room; docs/scaling.md)."""
        if not self.options.room:
            return self.url
        separator = "&" if "?" in self.url else "?"
        return f"{self.url}{separator}room={urllib.parse.quote(self.options.room)}"

    def _resume(self) -> bool:
        """Reconnect and resume the session (on the reader thread); False when it cannot be resumed."""
        url = self._sticky_url()
        options = dataclasses.replace(self.options, resume=True, resume_token=self.resume_token)
        for attempt, delay in enumerate(retry_delays(self.resume_window), 1):
            self.handler.on_reconnecting(attempt, delay)
            time.sleep(delay)
            if not self.resume:
                return False
            try:
                ws, reply = self._handshake(url, options)
            except ServerUnreachable:
                continue
            except ServerBusy:  # the server answers WAIT to every connection while it shuts down
                self.error = "the server is shutting down: the session cannot be resumed"
                return False
            except ClientError as exc:  # no such session (expired), or the server is going away
                self.error = str(exc)
                log.info("cannot resume: %s", exc)
                return False
            with self._send_lock:
                old, self._ws = self._ws, ws
                assert self._history is not None
                rate = self.options.sample_rate
                held = int(round(reply.audio_received * rate))
                if held < self._history.start:
                    log.warning("%.2f s of audio are lost: the server holds less than was kept to send again",
                                (self._history.start - held) / rate)
                try:
                    for frame in self._history.since(held):
                        ws.send(frame)
                    if self._eos_sent:
                        ws.send(END_OF_AUDIO)
                except (ConnectionClosed, OSError):
                    pass  # dropped again: the reader finds out
                self._connected = True
                self.resumes += 1
            old.close()
            self.handler.on_resumed(reply.audio_received)
            return True
        log.warning("the connection dropped and the session could not be resumed within %g s", self.resume_window)
        return False

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
