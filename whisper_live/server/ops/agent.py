"""HAProxy agent-check responder (``--agent_port``): tells the load balancer what this server can still take.

HAProxy's ``agent-check`` connects to the agent port every ``agent-inter`` and reads one line of words
separated by spaces, ended by a newline (HAProxy configuration manual, "agent-check"). This agent
answers three words and closes:

* the operational state: ``up`` while the WebSocket port is listening, ``down`` when it is not;
* the administrative state: ``ready`` while one more client would be admitted; ``drain`` while the server
  is full (``--max_clients`` reached, or no measured headroom left: the rule of admission,
  :meth:`whisper_live.admission.Admission.spare_clients`) or draining before it stops. HAProxy sends a
  drained server no new session, only those that persistence sends it (a client resuming its session);
* a weight, as a percentage of the weight the server has in haproxy.cfg: the share of ``--max_clients``
  the server can serve now (its connected clients plus the clients it would still admit). With
  ``balance leastconn`` HAProxy gives a new session to the server with the fewest sessions for that
  weight, so servers fill in proportion to what they can take, and a client gets WAIT only when every
  server is full.

HAProxy keeps a state the agent set until the agent says otherwise, so every reply states all three.

:meth:`Agent.wait_for_answer` waits for the next answer given from the capacity of that moment on: a server
that refuses a balancer's request (whisper_live/server/ops/balancer.py) first lets HAProxy learn that it is
full, so that HAProxy's retry goes to another server.
"""

from __future__ import annotations

import logging
import socketserver
import threading
from dataclasses import dataclass
from typing import Callable, Optional

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Capacity:
    """What the server can take now, as the agent reports it."""

    listening: bool  # the WebSocket port accepts connections
    draining: bool  # the server admits no new client before it stops
    connected: int
    spare_clients: int  # more clients that would be admitted now (Admission.spare_clients)
    max_clients: int


def agent_reply(capacity: Capacity) -> str:
    """The agent-check line for ``capacity``, e.g. ``"up ready 67%\\n"``."""
    if not capacity.listening:
        return "down drain 0%\n"
    total = capacity.connected + capacity.spare_clients
    weight = round(100 * total / capacity.max_clients) if capacity.max_clients > 0 else 0
    if capacity.draining or capacity.spare_clients <= 0:
        return f"up drain {max(0, min(weight, 100))}%\n"
    # a weight of 0% would drain the server too: one that can take a client weighs at least 1%
    return f"up ready {max(1, min(weight, 100))}%\n"


class _Handler(socketserver.BaseRequestHandler):
    def handle(self) -> None:
        ticket = self.server.answering()
        try:
            line = agent_reply(self.server.capacity())
        except Exception:  # the agent must never take the server down; HAProxy keeps the last state
            log.exception("agent: cannot tell the server's capacity")
            return
        self.request.sendall(line.encode("ascii"))
        self.server.answered(ticket)


class _TCPServer(socketserver.ThreadingTCPServer):
    allow_reuse_address = True
    daemon_threads = True

    def __init__(self, address, capacity: Callable[[], Capacity]):
        self.capacity = capacity
        self._begun = 0  # answers begun (each reads the capacity after it begins)
        self._answered = 0  # the latest answer sent, by the order it began in
        self._sent = threading.Condition()
        super().__init__(address, _Handler)

    def answering(self) -> int:
        with self._sent:
            self._begun += 1
            return self._begun

    def answered(self, ticket: int) -> None:
        with self._sent:
            self._answered = max(self._answered, ticket)
            self._sent.notify_all()

    def wait_for_answer(self, timeout: float) -> bool:
        with self._sent:
            begun = self._begun
            return self._sent.wait_for(lambda: self._answered > begun, timeout)


class Agent:
    """Answers HAProxy's agent-check on ``host:port`` from ``capacity()``, in a thread of its own."""

    def __init__(self, host: str, port: int, capacity: Callable[[], Capacity]):
        self._server = _TCPServer((host, port), capacity)
        self._thread: Optional[threading.Thread] = None

    @property
    def port(self) -> int:
        return self._server.server_address[1]

    def wait_for_answer(self, timeout: float) -> bool:
        """Wait until the agent has sent an answer read from the capacity after this call began (the
        balancer's next check), at most ``timeout`` s; whether one was sent."""
        return self._server.wait_for_answer(timeout)

    def start(self) -> "Agent":
        self._thread = threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.2},
                                        name="haproxy-agent", daemon=True)
        self._thread.start()
        log.info("HAProxy agent listening on port %d", self.port)
        return self

    def stop(self) -> None:
        if self._thread is not None:
            self._server.shutdown()
            self._thread.join()
            self._thread = None
        self._server.server_close()
