"""One WebSocket connection of a session: its socket, and an outbox served by a sender thread.

A session (:class:`~whisper_live.server.session.serve_client.ServeClient`) outlives its connections when the client
resumes it: each connection has its own outbox and sender, and remembers how far the completed segments it
actually wrote to the socket reach, so that a resumed connection knows what to send again. The sender
thread ends with the connection (:meth:`Connection.stop`, which its session calls however it ends).
"""

from __future__ import annotations

import queue
import socket
import threading
from typing import Optional

from websockets.exceptions import ConnectionClosed

# How long closing a connection waits for its outbox to be written.
SEND_TIMEOUT = 5.0


class Connection:
    def __init__(self, websocket, uid: str):
        self.websocket = websocket
        self.uid = uid
        # end (s) of the last completed segment of a message written to the socket; -1: none yet
        self.completed_sent_until = -1.0
        self.replaced = False  # a resume moved the session to another connection
        self._outbox: queue.Queue = queue.Queue()
        self._sender = threading.Thread(target=self._send_loop, name=f"send-{uid[:8]}", daemon=True)
        self._started = False

    def start(self) -> None:
        if not self._started:
            self._started = True
            self._sender.start()

    def send(self, message: str, completed_until: Optional[float] = None) -> None:
        """Queue ``message``; ``completed_until``: the end of the last completed segment it carries."""
        self._outbox.put((message, completed_until))

    def recv(self, timeout: float):
        return self.websocket.recv(timeout=timeout)

    def _send_loop(self) -> None:
        while True:
            item = self._outbox.get()
            if item is None:
                return
            message, completed_until = item
            try:
                self.websocket.send(message)
            except (ConnectionClosed, OSError, RuntimeError):
                return
            if completed_until is not None:
                self.completed_sent_until = max(self.completed_sent_until, completed_until)

    def stop(self) -> None:
        """End the sender once it has written what is queued (at most :data:`SEND_TIMEOUT` s); it ends at once
        when the socket is gone. Safe to call more than once."""
        self._outbox.put(None)
        if self._started and self._sender is not threading.current_thread():
            self._sender.join(SEND_TIMEOUT)

    def flush_and_close(self, code: int = 1000, reason: str = "") -> None:
        """Write what is queued, then close with ``code``."""
        self.stop()
        self.websocket.close(code, reason)

    def abort(self) -> None:
        """Drop the connection without a closing handshake (its client has reconnected on another)."""
        try:
            self.websocket.socket.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
        self.stop()
