"""One live session's life on the server: its named state, its deadline, its model errors and everything it owns.

Every front end that streams audio to the model (WhisperLive's protocol in :mod:`serve_client`, OpenAI's
Realtime API in whisper_live/api/realtime.py) is a thin adapter over a :class:`LiveSession`. The session:

* holds the :class:`State`, changed only by :meth:`LiveSession._move`, which refuses a move the table
  :data:`MOVES` does not allow:

  - ``ATTACHED``: a connection reads its audio;
  - ``DETACHED``: its connection dropped before the end; kept for a resume until the resume timeout;
  - ``ENDING``: no more audio is taken (END_OF_AUDIO, the time limit, a drain): the last windows are
    transcribed and delivered;
  - ``ENDED``: out of the runner and the server's register, every thread it started stopped and joined.

* knows why it ends (:class:`EndCause`), so each front end chooses its close code by kind;
* owns what it registered and started: its inference clients in the runner (the session's stream, or a
  Realtime session's turns), its connections' sender threads, its resume timer. :meth:`end` removes and
  stops them all, whichever way the session ends (closed, dropped and expired, drained, refused, errored);
* counts consecutive model failures (:class:`ModelErrors`) and bounds the wait for the last transcripts
  (:data:`FLUSH_TIMEOUT`) and the session's length (``max_connection_time``), once for every front end.

The runner's load meter counts a session as one speaker, whatever number of streams it runs: an inference
client names its session in its ``session`` attribute (whisper_live/scheduler.py, ``speaker_of``).
"""

from __future__ import annotations

import enum
import logging
import threading
import time
from typing import Callable, Optional, Protocol

log = logging.getLogger(__name__)

# How long after the end of its audio a session waits for its last transcripts before it ends anyway.
FLUSH_TIMEOUT = 120.0
# Consecutive model failures after which the client is told and the session ends.
MAX_MODEL_ERRORS = 3


class State(enum.Enum):
    ATTACHED = "attached"
    DETACHED = "detached"
    ENDING = "ending"
    ENDED = "ended"


MOVES = {
    State.ATTACHED: {State.DETACHED, State.ENDING, State.ENDED},
    State.DETACHED: {State.ATTACHED, State.ENDED},
    State.ENDING: {State.ENDED},
    State.ENDED: set(),
}


class EndCause(enum.Enum):
    """Why a session ends; front ends map it to their close codes."""

    END_OF_AUDIO = "the client ended its audio"
    CLOSED = "the client closed its connection"
    TIME_LIMIT = "maximum connection time reached"
    DRAIN = "the server is shutting down"
    EXPIRED = "not resumed within the resume timeout"
    MODEL_FAILED = "transcription failed"
    REFUSED = "the client broke the protocol"


class Stoppable(Protocol):
    def stop(self) -> None: ...


class ModelErrors:
    """Consecutive model failures of one session (any of its streams)."""

    def __init__(self, limit: int = MAX_MODEL_ERRORS):
        self.limit = limit
        self._count = 0
        self._lock = threading.Lock()

    def failed(self) -> bool:
        """Count one failure; True once ``limit`` came in a row: the session gives up."""
        with self._lock:
            self._count += 1
            return self._count >= self.limit

    def succeeded(self) -> None:
        with self._lock:
            self._count = 0


class LiveSession:
    """The state and the belongings of one live session (see the module docstring)."""

    def __init__(self, uid: str, runner, *, max_connection_time: float,
                 on_end: Callable[["LiveSession"], None] = lambda session: None,
                 on_drain: Callable[[float], None] = lambda deadline: None,
                 clock: Callable[[], float] = time.monotonic):
        """``on_end(session)``: called once when it has ended (the server forgets it); ``on_drain(deadline)``:
        the front end's part of a drain (called with no lock held)."""
        self.uid = uid
        self.runner = runner
        self.max_connection_time = max_connection_time
        self.started_at = clock()
        self.model_errors = ModelErrors()
        self.cause: Optional[EndCause] = None
        self.drain_by: Optional[float] = None  # the server drains: end by then (clock time)
        self.detached_since: Optional[float] = None
        self._clock = clock
        self._on_end = on_end
        self._on_drain = on_drain
        self._state = State.ATTACHED
        self.lock = threading.RLock()  # guards the state, and the front end's data beside it
        self._changed = threading.Condition(self.lock)
        self._clients: list = []  # (inference client, its runner)
        self._owned: list[Stoppable] = []  # threads' owners to stop when it ends
        self._expiry: Optional[threading.Timer] = None

    # --- state ------------------------------------------------------------------------------------------------

    @property
    def state(self) -> State:
        return self._state

    @property
    def ended(self) -> bool:
        return self._state is State.ENDED

    @property
    def taking_audio(self) -> bool:
        return self._state in (State.ATTACHED, State.DETACHED)

    def _move(self, to: State) -> bool:
        """Change the state (lock held); False, and no change, when the table does not allow the move."""
        if to not in MOVES[self._state]:
            return False
        log.debug("session %s: %s -> %s", self.uid, self._state.value, to.value)
        self._state = to
        self._changed.notify_all()
        return True

    def remaining(self) -> float:
        """Seconds left of ``max_connection_time``, counted from the session's start."""
        return self.max_connection_time - (self._clock() - self.started_at)

    # --- what it owns -------------------------------------------------------------------------------------------

    def join_runner(self, client, runner=None) -> None:
        """Put an inference client of this session (a stream's adapter) in ``runner`` (the session's runner
        by default; a Realtime session's turns may each use another model's)."""
        runner = runner or self.runner
        with self.lock:
            if self.ended or any(c is client for c, _ in self._clients):
                return
            self._clients.append((client, runner))
        runner.add(client)

    def leave_runner(self, client) -> None:
        with self.lock:
            pair = next((p for p in self._clients if p[0] is client), None)
            if pair is None:
                return
            self._clients.remove(pair)
        pair[1].remove(client)

    def notify(self, client) -> None:
        """``client`` may have work for the model."""
        with self.lock:
            runner = next((r for c, r in self._clients if c is client), self.runner)
        runner.notify(client)

    def own(self, thing: Stoppable) -> None:
        """Stop ``thing`` when the session ends (a connection's sender)."""
        with self.lock:
            if not self.ended:
                self._owned.append(thing)
                return
        thing.stop()

    def release(self, thing: Stoppable) -> None:
        """Stop ``thing`` now (a connection that dropped or was replaced) and forget it."""
        with self.lock:
            if thing in self._owned:
                self._owned.remove(thing)
        thing.stop()

    # --- changes ------------------------------------------------------------------------------------------------

    def changed(self) -> None:
        """Wake whoever waits in :meth:`wait_for` (a result was delivered)."""
        with self.lock:
            self._changed.notify_all()

    def wait_for(self, done: Callable[[], bool], timeout: float) -> bool:
        """Wait until ``done()`` (checked under the lock at every :meth:`changed`), the session ended, or
        ``timeout`` s passed, shortened by a drain's deadline; returns ``done()``."""
        give_up = self._clock() + timeout
        with self.lock:
            while not done() and not self.ended:
                limit = give_up if self.drain_by is None else min(give_up, self.drain_by)
                left = limit - self._clock()
                if left <= 0:
                    break
                self._changed.wait(left)
            return done()

    def attach(self) -> bool:
        """A connection (the first, or a resume) reads the session's audio; False: it has ended."""
        with self.lock:
            if self._state is State.DETACHED and not self._move(State.ATTACHED):
                return False
            if self._state is not State.ATTACHED:
                return False
            self.detached_since = None
            timer, self._expiry = self._expiry, None
        _stop_timer(timer)
        return True

    def detach(self, resume_timeout: float) -> bool:
        """The connection dropped: keep the session ``resume_timeout`` s for a resume, then end it (lock held
        or not). False when it cannot be kept (it is ending, or the server drains)."""
        with self.lock:
            if self.drain_by is not None or not self._move(State.DETACHED):
                return False
            since = self.detached_since = self._clock()
            timer = self._expiry = threading.Timer(resume_timeout, self._expire, args=(since,))
            timer.name, timer.daemon = f"resume-{self.uid[:8]}", True
            timer.start()
        return True

    def _expire(self, since: float) -> None:
        with self.lock:
            if self._state is not State.DETACHED or self.detached_since != since:
                return
            self._expiry = None
        if self.end(EndCause.EXPIRED):
            log.info("client %s not resumed in time: session ended", self.uid)

    def begin_ending(self, cause: EndCause) -> bool:
        """No more audio is taken; the last windows are still transcribed. False if it was ending already."""
        with self.lock:
            if not self._move(State.ENDING):
                return False
            self.cause = cause
            return True

    def drain(self, deadline: float) -> None:
        """The server shuts down: end by ``deadline`` (clock time). A detached session has nobody to deliver
        to and ends now; an attached one is ended by its front end (``on_drain``)."""
        with self.lock:
            self.drain_by = deadline
            self._changed.notify_all()
            detached = self._state is State.DETACHED
        if detached:
            self.end(EndCause.DRAIN)
        else:
            self._on_drain(deadline)

    def end(self, cause: EndCause) -> bool:
        """End the session: its clients out of the runner, what it owns stopped and joined, the server told.
        Once; False when it had ended already."""
        with self.lock:
            if not self._move(State.ENDED):
                return False
            self.cause = self.cause or cause
            clients, self._clients = self._clients, []
            owned, self._owned = self._owned, []
            timer, self._expiry = self._expiry, None
        for client, runner in clients:
            runner.remove(client)
        for thing in owned:
            thing.stop()
        _stop_timer(timer)
        on_end, self._on_end, self._on_drain = self._on_end, _ignore, _ignore
        on_end(self)  # (its front end refers to the session and back: no cycle outlives the end)
        return True


def _ignore(*args) -> None:
    pass


def _stop_timer(timer: Optional[threading.Timer]) -> None:
    if timer is None:
        return
    timer.cancel()
    if timer is not threading.current_thread():
        timer.join()
