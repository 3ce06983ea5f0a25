"""WhisperLive's protocol over a live session: reads a client's audio into its stream, sends it what the model found.

The session (:class:`~whisper_live.server.session.lifecycle.LiveSession`) lives on apart from the connection it
came on (:class:`Connection`): a connection that drops before END_OF_AUDIO (no close frame, or a close code
other than 1000) *detaches* the session instead of ending it, when the server allows resuming. The runner
goes on transcribing what it has; a new connection presenting the session's token reattaches it
(:meth:`ServeClient.attach`) and is sent the completed segments it may have missed. A session not resumed
within the resume timeout ends.

The WebSocket handler thread of the current connection runs :meth:`serve`, the reader loop. Model results
arrive on a runner's worker thread through :meth:`deliver`; replies go out through the connection's
outbox, so a client that reads slowly never blocks a worker.
"""

from __future__ import annotations

import logging
import secrets
import time
from typing import Callable, Optional

from websockets.exceptions import ConnectionClosed

from whisper_live import protocol
from whisper_live.audio.decoder import AudioDecoder
from whisper_live.diarization.live import label_update
from whisper_live.server.session.connection import Connection
from whisper_live.server.session.lifecycle import FLUSH_TIMEOUT, EndCause, LiveSession
from whisper_live.server.session.stream_client import StreamClient
from whisper_live.streaming import Stream
from whisper_live.streaming.windows import Window
from whisper_live.transcriber.base import Result

log = logging.getLogger(__name__)

# The close code of a client that means to end its session; other closes before END_OF_AUDIO detach it.
NORMAL_CLOSURE = 1000
# Close code of the connections the server ends because it is shutting down.
GOING_AWAY = 1001
# How often (s) the reader loop looks up from a silent connection (for a drain, the time limit).
POLL_INTERVAL = 0.5


class ServeClient(StreamClient):
    """One WhisperLive-protocol client: the adapter between its connections and its live session."""

    def __init__(self, options: protocol.ClientOptions, stream: Stream, runner, *, max_connection_time: float,
                 on_end: Callable[["ServeClient"], None], resume_timeout: float = 0.0,
                 clock: Callable[[], float] = time.monotonic, metrics=None, labeler=None):
        self.options = options
        self.uid = options.uid
        self.stream = stream
        self.resume_timeout = resume_timeout  # 0: a drop ends the session
        self.resume_token = secrets.token_urlsafe(24)
        self.session = LiveSession(self.uid, runner, max_connection_time=max_connection_time,
                                   on_end=lambda _: on_end(self), clock=clock)
        self._lock = self.session.lock
        self._conn: Optional[Connection] = None
        self._sent_until = -1.0  # end of the last completed segment a former connection wrote
        self._unsent_language: Optional[str] = None  # detected while detached: sent on resume
        self._metrics = metrics  # whisper_live.server.ops.metrics.Metrics, or None
        self._audio = AudioDecoder(options.audio_format, options.sample_rate)  # frames -> 16 kHz, across resumes
        self.room = None  # whisper_live.rooms.registry.RoomPublisher: the room its transcript goes to, if any
        self._labeler = labeler  # speaker labels (whisper_live/diarization/live.py), if the client asked

    # --- the runner's side (worker threads) --------------------------------------------------------------------

    def deliver(self, window: Window, result: Optional[Result], error: Optional[BaseException]) -> None:
        messages, failed = [], False
        with self._lock:
            if error is not None or result is None:
                self.stream.cancel(window)
                failed = self.failed = self.session.model_errors.failed()
                if failed:
                    messages.append((protocol.error(self.uid, f"transcription failed: {error}"), None))
            else:
                self.session.model_errors.succeeded()
                update = self.stream.apply(window, result)
                if self._labeler is not None:
                    label_update(self._labeler, self.stream.completed, update, window.request.audio, window.offset,
                                 keep_words=bool(self.options.word_timestamps))
                if update.language:
                    messages.append((protocol.language(self.uid, *update.language), None))
                    if self._conn is None:
                        self._unsent_language = messages[-1][0]
                if not update.empty:
                    if self.room is not None:  # (only posts: the room's fan-out thread does the rest)
                        self.room.publish(update.completed, update.partial)
                    messages.append(self._segments_message(self.options.send_last_n_segments))
                    repeat = protocol.open_repeat(self.uid, self.stream.completed, self.stream.partial)
                    if repeat is not None:
                        messages.append((repeat, None))
                    if self._metrics is not None:
                        self._metrics.segments_sent(len(update.completed), len(update.partial))
                messages += [(protocol.warning(self.uid, w), None) for w in self.stream.take_warnings()]
            conn = self._conn
        if conn is not None:  # detached: what completes meanwhile is sent on resume
            for message, completed_until in messages:
                conn.send(message, completed_until)
        if failed and conn is None:
            self._end(EndCause.MODEL_FAILED)  # detached: nobody to tell
        elif failed:
            self.session.begin_ending(EndCause.MODEL_FAILED)  # the reader loop closes the connection
        self.session.changed()

    def _segments_message(self, last_n: int, completed_after: Optional[float] = None) -> tuple[str, Optional[float]]:
        """A segments update (called with the lock held): the last ``last_n`` completed segments, or with
        ``completed_after`` every one ending after it and ``last_n`` before those, then the partial ones."""
        completed = self.stream.completed
        first = max(0, len(completed) - last_n)
        if completed_after is not None:
            unsent = next((i for i, s in enumerate(completed) if s.end > completed_after), len(completed))
            first = max(0, min(first, unsent - last_n))
        segments = completed[first:] + self.stream.partial
        return protocol.segments(self.uid, segments), (completed[-1].end if completed else None)

    def send(self, message: str) -> None:
        with self._lock:
            conn = self._conn
        if conn is not None:
            conn.send(message)

    # --- connections ------------------------------------------------------------------------------------------

    def attach(self, conn: Connection, ready: Callable[[float], str], *, resumed: bool) -> bool:
        """Make ``conn`` the session's connection and send it ``ready(seconds of audio received)``, the
        SERVER_READY message; on a resume, also the completed segments the former connection may not have
        delivered. A connection still attached (its drop not noticed yet) is dropped. False: the session
        has ended."""
        with self._lock:
            if not self.session.attach():
                return False
            old, self._conn = self._conn, conn
            if old is not None:
                old.replaced = True
                self._sent_until = max(self._sent_until, old.completed_sent_until)
            if resumed:  # Opus: a new connection sends a new stream, read by a new decoder
                self.stream.add_audio(self._audio.restart())
            conn.send(ready(self.stream.received / protocol.SAMPLE_RATE))
            if self._unsent_language is not None:
                conn.send(self._unsent_language)
                self._unsent_language = None
            if resumed and (self.stream.completed or self.stream.partial):
                conn.send(*self._segments_message(self.options.send_last_n_segments, self._sent_until))
            self.session.own(conn)
        if old is not None:
            old.abort()
            self.session.release(old)
        conn.start()
        return True

    @property
    def attached(self) -> bool:
        return self._conn is not None

    @property
    def detached_since(self) -> Optional[float]:
        return self.session.detached_since

    @property
    def audio_received(self) -> float:
        """Seconds of audio the session holds (a resuming client goes on sending from there)."""
        with self._lock:
            return self.stream.received / protocol.SAMPLE_RATE

    def serve(self, conn: Connection) -> bool:
        """The reader loop of ``conn`` (the connection's thread). Returns whether the session was detached
        (kept for a resume) rather than ended."""
        self.session.join_runner(self)
        dropped = False
        try:
            self._read_audio(conn)
        except ConnectionClosed as exc:
            rcvd = exc.rcvd
            dropped = rcvd is None or rcvd.code != NORMAL_CLOSURE
        with self._lock:
            if conn.replaced:  # a resume took the session over on another connection
                return True
            detached = dropped and self.resume_timeout > 0 and self.session.detach(self.resume_timeout)
            if detached:
                self._sent_until = max(self._sent_until, conn.completed_sent_until)
                self._conn = None
        if detached:
            self.session.release(conn)  # its sender ends
            log.info("client %s dropped its connection: session kept for a resume", self.uid)
            return True
        self._end(EndCause.CLOSED)
        return False

    def end(self, cause: EndCause = EndCause.CLOSED) -> None:
        """End the session now: out of the runner, its connection closed, its slot given back."""
        self._end(cause)

    def drain(self, deadline: float) -> None:
        """The server shuts down: end the session as if END_OF_AUDIO had come, by ``deadline`` (monotonic).
        The reader loop does it; a detached session has nobody to deliver to and ends."""
        self.session.drain(deadline)

    # --- the reader loop ----------------------------------------------------------------------------------------

    def _read_audio(self, conn: Connection) -> None:
        while self.session.taking_audio:
            if self.session.drain_by is not None:
                self._end_of_audio(conn, EndCause.DRAIN)
                return
            remaining = self.session.remaining()
            if remaining <= 0:
                conn.send(protocol.warning(self.uid, "maximum connection time reached"))
                self._end(EndCause.TIME_LIMIT)
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
                                   "END_OF_AUDIO; send audio as binary frames")
                return
            if message == protocol.END_OF_AUDIO:
                self._end_of_audio(conn)
                return
            try:
                samples = self._audio.decode(message)
            except protocol.ProtocolError as exc:
                self._refuse(conn, str(exc))
                return
            if self._metrics is not None:
                self._metrics.audio_processed.inc(len(samples) / protocol.SAMPLE_RATE)
            with self._lock:
                self.stream.add_audio(samples)
                warnings = self.stream.take_warnings()
            for warning in warnings:
                conn.send(protocol.warning(self.uid, warning))
            self.session.notify(self)

    def _end_of_audio(self, conn: Connection, cause: EndCause = EndCause.END_OF_AUDIO) -> None:
        """No more audio: transcribe what is left, deliver it, then DISCONNECT and close."""
        try:
            tail = self._audio.flush(complete=cause is EndCause.END_OF_AUDIO)  # what the resampler held back
        except protocol.ProtocolError as exc:  # a compressed stream cut short
            self._refuse(conn, str(exc))
            return
        if not self.session.begin_ending(cause):
            return
        with self._lock:
            self.stream.add_audio(tail)
            self.stream.end_of_audio()
        self.session.notify(self)
        self.session.wait_for(lambda: self.stream.finished or self.failed,
                              min(FLUSH_TIMEOUT, max(1.0, self.session.remaining())))
        self._end(cause)

    def _refuse(self, conn: Connection, reason: str) -> None:
        log.info("client %s: %s", self.uid, reason)
        if self._metrics is not None:
            self._metrics.errors.labels(type="protocol").inc()
        conn.send(protocol.error(self.uid, reason))
        self._end(EndCause.REFUSED, reason[:120])

    def _end(self, cause: EndCause, reason: str = "") -> None:
        """Say goodbye on the connection (if any), close it with the cause's code, and end the session."""
        with self._lock:
            if self.session.ended:
                return
            conn, self._conn = self._conn, None
            cause = self.session.cause or cause
            draining = self.session.drain_by is not None
        if conn is not None:
            if cause not in (EndCause.REFUSED, EndCause.MODEL_FAILED):
                conn.send(protocol.disconnect(self.uid))
            code, default_reason = CLOSE_CODES[EndCause.DRAIN if draining and cause is not EndCause.REFUSED
                                               else cause]
            conn.flush_and_close(code, reason or default_reason)
        self.session.end(cause)


# The close code (and reason) of each way a WhisperLive session ends.
CLOSE_CODES = {
    EndCause.END_OF_AUDIO: (NORMAL_CLOSURE, ""),
    EndCause.CLOSED: (NORMAL_CLOSURE, ""),
    EndCause.TIME_LIMIT: (NORMAL_CLOSURE, ""),
    EndCause.EXPIRED: (NORMAL_CLOSURE, ""),
    EndCause.MODEL_FAILED: (NORMAL_CLOSURE, ""),
    EndCause.DRAIN: (GOING_AWAY, "server shutting down"),
    EndCause.REFUSED: (1003, ""),
}
