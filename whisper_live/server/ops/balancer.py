"""Whether a WebSocket upgrade is taken, decided before the handshake: a place held for it, or a 503 to a
load balancer so that it tries another server.

Every upgrade holds a place (``ClientManager.hold``: the rule of admission, and the place counts as a
client until the connection's session takes it), so a client the server lets upgrade is admitted after
its options, and the HAProxy agent counts it at once.

A request from HAProxy (deploy/haproxy/haproxy.cfg) names the server line it was sent to in the header
``X-WhisperLive-Server`` (HAProxy's ``http-send-name-header``, set again on every retry). When this server
would not admit one more client (full, or draining before it stops), it answers such a request with 503
before the upgrade, and HAProxy retries on another server (``retry-on 503``, ``option redispatch 1``).
Before that 503 it waits for its agent's next answer (``--agent_port``), which says ``drain``: HAProxy
then knows this server is full and retries elsewhere, not here again; once every server is full, HAProxy
sends the client to a last-resort line (a ``backup`` line whose name begins with ``wait``), which never
answers 503. So through HAProxy a client hears WAIT only when every server is full.

A client connecting directly (no such header), or through a last-resort line, is let upgrade as before:
a full server then answers WAIT after the client's options, as WhisperLive does. A request whose URL
names (``?uid=``) a session this server holds goes on too: it is a resume (handshake.py) or a new
session of that client, judged after its options.
"""

from __future__ import annotations

import logging
import time
import urllib.parse
from typing import Callable, Optional

from websockets.http11 import Request, Response

from whisper_live.server.ops.endpoints import response

log = logging.getLogger(__name__)

BALANCER_HEADER = "X-WhisperLive-Server"
LAST_RESORT_PREFIX = "wait"  # the balancer's server lines used when every server is full (backups)
AGENT_WAIT = 2.0  # s at most for the balancer's next agent check (agent-inter is 1 s in haproxy.cfg)
AFTER_AGENT_ANSWER = 0.05  # s for HAProxy to take the agent's answer in before the 503 reaches it


class UpgradeAdmission:
    """Decides on each WebSocket upgrade before the handshake (``Endpoints``' last check)."""

    def __init__(self, manager, draining: Callable[[], bool], holds_session: Callable[[str], bool],
                 agent: Callable[[], object], metrics=None):
        self.manager = manager  # ClientManager: hold / let_go
        self.draining = draining
        self.holds_session = holds_session  # uid -> whether a session of that uid is here
        self.agent = agent  # the HAProxy agent if any (wait_for_answer)
        self.metrics = metrics

    def check(self, connection, request: Request) -> Optional[Response]:
        """None to let the handshake go on (a place is held for ``connection`` when there is room); a 503
        for a balancer's retryable request when there is none."""
        refusal = self._refusal(connection, request)
        if refusal is None or not _retryable(request):
            return None
        agent = self.agent()
        if agent is not None and agent.wait_for_answer(AGENT_WAIT):
            time.sleep(AFTER_AGENT_ANSWER)
            refusal = self._refusal(connection, request)  # a place may have come free meanwhile
            if refusal is None:
                return None
        reason = "draining" if self.draining() else "full"
        if self.metrics is not None:
            self.metrics.reject(f"balancer_{reason}")
        log.info("upgrade sent back to the balancer (%s): %s", request.headers.get(BALANCER_HEADER), refusal)
        return response(503, f"503 Service Unavailable: {refusal}; the balancer tries another server\n".encode(),
                        headers=(("Retry-After", "1"),))

    def _refusal(self, connection, request: Request) -> Optional[str]:
        """Why one more client would not be admitted now (None: a place is held, or a session of the URL's
        uid is here)."""
        if self.draining():
            return "the server is draining"
        uid = _url_uid(request)
        if uid and self.holds_session(uid):
            return None
        return self.manager.hold(connection)


def _retryable(request: Request) -> bool:
    """Whether a balancer sent ``request`` and may try another server with it."""
    line = request.headers.get(BALANCER_HEADER)
    return bool(line) and not line.startswith(LAST_RESORT_PREFIX)


def _url_uid(request: Request) -> str:
    query = urllib.parse.urlsplit(request.path).query
    return urllib.parse.parse_qs(query).get("uid", [""])[0]
