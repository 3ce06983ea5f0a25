"""Graceful shutdown: what the server does on SIGTERM or SIGINT (``TranscriptionServer.drain``).

1. Stop admitting: from now on ``TranscriptionServer.draining`` is true, and new connections (resumes
   too) get ``WAIT`` and are closed; health endpoints and load-balancer agents read the same attribute.
2. Run the drain hooks (``TranscriptionServer.drain_hooks``), each on its own thread with the deadline
   (monotonic seconds): other APIs of the process finish their requests in flight there.
3. End every connected session as if its client had sent END_OF_AUDIO: the utterance in progress is
   transcribed and committed, the completed segments are delivered, then ``DISCONNECT`` and a close with
   code 1001 (going away). Sessions waiting for a resume have nobody to deliver to and are freed.
4. Wait for the sessions and the hooks, at most until the deadline; whatever is left then is closed with 1001.
5. Stop serving; the process exits 0.
"""

from __future__ import annotations

import logging
import threading
import time

log = logging.getLogger(__name__)


class Drain:
    def __init__(self, server):
        self._server = server
        self._started = threading.Event()

    @property
    def started(self) -> bool:
        return self._started.is_set()

    def run(self, timeout: float) -> None:
        if self._started.is_set():
            return
        self._started.set()
        server = self._server
        # what is still open at the deadline is closed with 1001, which takes a moment
        deadline = time.monotonic() + timeout - min(2.0, timeout / 10)
        clients = server.manager.connected()
        log.info("draining: no new clients; ending %d session(s) as if END_OF_AUDIO came, within %g s",
                 len(clients), timeout)
        hooks = [threading.Thread(target=hook, args=(deadline,), name="drain-hook", daemon=True)
                 for hook in server.drain_hooks]
        for thread in hooks:
            thread.start()
        # the sessions' last windows are the most urgent work: leave a margin to deliver and close
        for client in clients:
            client.drain(deadline - min(1.0, timeout / 10))  # the last windows first, then delivering
        server.manager.wait_empty(deadline - time.monotonic())
        for thread in hooks:
            thread.join(max(0.0, deadline - time.monotonic()))
        left = server.manager.connected()
        if left:
            log.warning("drain timeout: closing %d session(s) that have not finished", len(left))
        else:
            log.info("drained: every session ended")
        server.shutdown()  # closes what is left with 1001
