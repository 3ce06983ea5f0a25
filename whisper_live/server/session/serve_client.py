"""One client's session: reads its audio into its streaming session, and sends it what the model found.

The session lives on this object, apart from the connection it came on (:class:`Connection`): a connection
that drops before END_OF_AUDIO (no close frame, or a close code other than 1000) *detaches* the session
instead of ending it, when the server allows resuming. The scheduler goes on transcribing what it has;
a new connection presenting the session's token reattaches it (:meth:`ServeClient.attach`) and is sent
the completed segments it may have missed. A session not resumed in time is finalised by the server
(:class:`~whisper_live.server.session.resume.ResumeRegistry`).

The WebSocket handler thread of the current connection runs :meth:`serve`, the reader loop. Model results
arrive on a scheduler worker thread through :meth:`deliver`; replies go out through the connection's
outbox, so a client that reads slowly never blocks a worker.
"""

from __future__ import annotations

import logging
import secrets
import threading
import time
from typing import Callable, Optional

from websockets.exceptions import ConnectionClosed

from whisper_live import protocol
from whisper_live.audio.decoder import AudioDecoder
from whisper_live.server.session.connection import Connection
from whisper_live.streaming import Stream
from whisper_live.transcriber.base import Result
from whisper_live.streaming.windows import Window

log = logging.getLogger(__name__)

# How long after END_OF_AUDIO the server waits for the last transcripts before it disconnects anyway.
FLUSH_TIMEOUT = 120.0
# Consecutive model failures after which the client is told and disconnected.
MAX_MODEL_ERRORS = 3
# The close code of a client that means to end its session; other closes before END_OF_AUDIO detach it.
NORMAL_CLOSURE = 1000
# Close code of the connections the server ends because it is shutting down.
GOING_AWAY = 1001
# How often (s) the reader loop looks up from a silent connection (for a drain, the time limit).
POLL_INTERVAL = 0.5


class ServeClient:
    def __init__(self, options: protocol.ClientOptions, session: Stream, runner,
                 *, max_connection_time: float, on_close: Callable[["ServeClient"], None],
                 clock: Callable[[], float] = time.monotonic, metrics=None):
        self.options = options
        self.uid = options.uid
        self.session = session
        self.runner = runner
        self.max_connection_time = max_connection_time
        self.connected_at = clock()
        self.resume_token = secrets.token_urlsafe(24)
        self._clock = clock
        self._on_close = on_close
        self._lock = threading.Lock()
        self._conn: Optional[Connection] = None
        self._sent_until = -1.0  # end of the last completed segment a former connection wrote
        self._finished = threading.Event()  # everything asked for is transcribed (or the session failed)
        self._closed = threading.Event()  # the session is over: no more audio, no more windows
        self._freed = threading.Event()
        self._drain_by: Optional[float] = None  # the server is draining: end by this time (monotonic)
        self._in_scheduler = False
        self._model_errors = 0
        self._unsent_language: Optional[str] = None  # detected while detached: sent on resume
        self.detached_since: Optional[float] = None
        self._metrics = metrics  # whisper_live.server.ops.metrics.Metrics, or None
        self._audio = AudioDecoder(options.audio_format, options.sample_rate)  # frames -> 16 kHz, across resumes

    # --- scheduler side (worker threads) --------------------------------------------------------------------

    def pending(self):
        with self._lock:
            return None if self._closed.is_set() else self.session.pending()

    def take_window(self, economy: bool = False) -> Optional[Window]:
        with self._lock:
            return None if self._closed.is_set() else self.session.take_window(economy)

    def deliver(self, window: Window, result: Optional[Result], error: Optional[BaseException]) -> None:
        messages = []
        with self._lock:
            if error is not None or result is None:
                self.session.cancel(window)
                self._model_errors += 1
                if self._model_errors >= MAX_MODEL_ERRORS:
                    messages.append((protocol.error(self.uid, f"transcription failed: {error}"), None))
                    self._closed.set()
            else:
                self._model_errors = 0
                update = self.session.apply(window, result)
                if update.language:
                    messages.append((protocol.language(self.uid, *update.language), None))
                    if self._conn is None:
                        self._unsent_language = messages[-1][0]
                if not update.empty:
                    messages.append(self._segments_message(self.options.send_last_n_segments))
                    if self._metrics is not None:
                        self._metrics.segments_sent(len(update.completed), len(update.partial))
                messages += [(protocol.warning(self.uid, w), None) for w in self.session.take_warnings()]
            finished = self.session.finished
            conn = self._conn
        if conn is not None:  # detached: what completes meanwhile is sent on resume
            for message, completed_until in messages:
                conn.send(message, completed_until)
        if finished or self._closed.is_set():
            self._finished.set()

    def _segments_message(self, last_n: int, completed_after: Optional[float] = None) -> tuple[str, Optional[float]]:
        """A segments update (called with the lock held): the last ``last_n`` completed segments, or with
        ``completed_after`` every one ending after it and ``last_n`` before those, then the partial ones."""
        completed = self.session.completed
        first = max(0, len(completed) - last_n)
        if completed_after is not None:
            unsent = next((i for i, s in enumerate(completed) if s.end > completed_after), len(completed))
            first = max(0, min(first, unsent - last_n))
        segments = completed[first:] + self.session.partial
        return protocol.segments(self.uid, segments), (completed[-1].end if completed else None)

    def send(self, message: str) -> None:
        with self._lock:
            conn = self._conn
        if conn is not None:
            conn.send(message)

    # --- connections ------------------------------------------------------------------------------------------

    def attach(self, conn: Connection, ready: Callable[[float], str], *, resumed: bool) -> bool:
        """Make ``conn`` the session's connection and send it ``ready(seconds of audio received)``, the
        SERVER_READY message; on a resume, also the
        completed segments the former connection may not have delivered. A connection still attached (its
        drop not noticed yet) is dropped. False: the session has ended."""
        with self._lock:
            if self._closed.is_set():
                return False
            old, self._conn = self._conn, conn
            if old is not None:
                old.replaced = True
                self._sent_until = max(self._sent_until, old.completed_sent_until)
            self.detached_since = None
            conn.send(ready(self.session.received / protocol.SAMPLE_RATE))
            if self._unsent_language is not None:
                conn.send(self._unsent_language)
                self._unsent_language = None
            if resumed and (self.session.completed or self.session.partial):
                conn.send(*self._segments_message(self.options.send_last_n_segments, self._sent_until))
        if old is not None:
            old.abort()
        conn.start()
        return True

    @property
    def attached(self) -> bool:
        return self._conn is not None

    @property
    def audio_received(self) -> float:
        """Seconds of audio the session holds (a resuming client goes on sending from there)."""
        with self._lock:
            return self.session.received / protocol.SAMPLE_RATE

    def serve(self, conn: Connection, can_detach: bool) -> bool:
        """The reader loop of ``conn`` (the connection's thread). Returns whether the session was detached
        (``can_detach``: the server keeps sessions for a resume) rather than ended."""
        if not self._in_scheduler:
            self._in_scheduler = True
            self.runner.add(self)
        dropped = False
        try:
            self._read_audio(conn)
        except ConnectionClosed as exc:
            rcvd = exc.rcvd
            dropped = rcvd is None or rcvd.code != NORMAL_CLOSURE
        with self._lock:
            if conn.replaced:  # a resume took the session over on another connection
                return True
            if dropped and can_detach and not self._closed.is_set() and self._drain_by is None:
                self._sent_until = max(self._sent_until, conn.completed_sent_until)
                self._conn = None
                self.detached_since = self._clock()
                log.info("client %s dropped its connection: session kept for a resume", self.uid)
                return True
        self.free()
        return False

    def free(self, code: int = NORMAL_CLOSURE) -> None:
        """End the session: out of the scheduler, its connection closed (with ``code``), its slot given back."""
        with self._lock:
            if self._freed.is_set():
                return
            self._freed.set()
            self._closed.set()
            conn, self._conn = self._conn, None
        self.runner.remove(self)
        if conn is not None:
            conn.flush_and_close(code)
        self._on_close(self)

    def expire(self, detached_since: float) -> bool:
        """Free the session if it is still detached since ``detached_since`` (not resumed meanwhile)."""
        with self._lock:
            if self.detached_since is None or self.detached_since != detached_since:
                return False
            self._closed.set()
        self.free()
        return True

    def drain(self, deadline: float) -> None:
        """The server shuts down: end the session as if END_OF_AUDIO had come, by ``deadline`` (monotonic).
        The reader loop does it; a detached session has nobody to deliver to and is freed."""
        with self._lock:
            self._drain_by = deadline
            attached = self._conn is not None
        if not attached:
            self.free()

    # --- the reader loop ----------------------------------------------------------------------------------------

    def _remaining_time(self) -> float:
        return self.max_connection_time - (self._clock() - self.connected_at)

    def _read_audio(self, conn: Connection) -> None:
        while not self._closed.is_set():
            if self._drain_by is not None:
                self._end_of_audio(conn, GOING_AWAY)
                return
            remaining = self._remaining_time()
            if remaining <= 0:
                conn.send(protocol.warning(self.uid, "maximum connection time reached"))
                self._end_session(conn)
                return
            try:
                message = conn.recv(timeout=min(POLL_INTERVAL, remaining))
            except TimeoutError:
                continue
            if isinstance(message, str):
                if message.strip() == protocol.END_OF_AUDIO.decode():
                    self._end_of_audio(conn)
                    return
                self._refuse(conn, "text frames are only allowed for the first message (options) and "
                                   "END_OF_AUDIO; send audio as binary frames", 1003)
                return
            if message == protocol.END_OF_AUDIO:
                self._end_of_audio(conn)
                return
            try:
                samples = self._audio.decode(message)
            except protocol.ProtocolError as exc:
                self._refuse(conn, str(exc), 1003)
                return
            if self._metrics is not None:
                self._metrics.audio_processed.inc(len(samples) / protocol.SAMPLE_RATE)
            with self._lock:
                self.session.add_audio(samples)
                warnings = self.session.take_warnings()
            for warning in warnings:
                conn.send(protocol.warning(self.uid, warning))
            self.runner.notify(self)

    def _end_of_audio(self, conn: Connection, code: int = NORMAL_CLOSURE) -> None:
        with self._lock:
            self.session.end_of_audio()
            finished = self.session.finished
        if not finished:
            self.runner.notify(self)
            give_up = self._clock() + min(FLUSH_TIMEOUT, max(1.0, self._remaining_time()))
            # a drain that begins meanwhile shortens the wait
            while not self._finished.wait(POLL_INTERVAL):
                if self._clock() >= min(give_up, self._drain_by if self._drain_by is not None else give_up):
                    break
        self._end_session(conn, GOING_AWAY if self._drain_by is not None else code)

    def _end_session(self, conn: Connection, code: int = NORMAL_CLOSURE) -> None:
        conn.send(protocol.disconnect(self.uid))
        self._close(conn, code, "server shutting down" if code == GOING_AWAY else "")

    def _refuse(self, conn: Connection, reason: str, code: int) -> None:
        log.info("client %s: %s", self.uid, reason)
        if self._metrics is not None:
            self._metrics.errors.labels(type="protocol").inc()
        conn.send(protocol.error(self.uid, reason))
        self._close(conn, code, reason[:120])

    def _close(self, conn: Connection, code: int, reason: str) -> None:
        with self._lock:
            self._closed.set()
            if self._conn is conn:
                self._conn = None
        conn.flush_and_close(code, reason)
