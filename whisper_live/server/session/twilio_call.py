"""Twilio Media Streams on ``/twilio``: a phone call's tracks as live sessions, their transcripts to its webhook.

Twilio (Telnyx and SignalWire alike) opens a WebSocket for ``<Start><Stream>`` or ``<Connect><Stream>`` and
sends JSON events (whisper_live/telephony/media_stream.py). A :class:`TwilioCall` serves one such stream on
the WebSocket handler's thread:

1. ``connected`` (optional), then ``start`` within :data:`START_TIMEOUT` s. The callback URL (the stream's
   ``statusCallbackUrl`` parameter, else ``--telephony_callback_url``) must pass the allow-list. Each
   announced track becomes a :class:`CallTrack`: a live session with its own stream, built as every
   session's is, admitted by the client manager like any session (all the call's tracks or none). A full
   or draining server closes the stream with 1013 and counts the reason.
2. ``media``: put in chunk order per track (the reorder buffer) and decoded (mu-law at 8 kHz to 16 kHz) into
   its track's stream. ``dtmf`` and ``mark`` are read and ignored.
3. ``stop``, a close, the drain or the maximum connection time end every track as END_OF_AUDIO does: the last
   words are transcribed and delivered, then the stream is closed and the sessions end. A malformed event
   ends the call at once (a log line, a ``transcription-error`` callback, close 1003); other calls go on.

Transcripts go out as Twilio's Real-Time Transcription status callbacks through the call's one
:class:`CallWebhook` (in order, retried, never blocking the audio). Its sender thread belongs to the call's
sessions: each holds it, and the last to end says ``transcription-stopped``, lets it drain and joins it.
"""

from __future__ import annotations

import logging
import threading
import time
from typing import Optional

from websockets.exceptions import ConnectionClosed

from whisper_live import protocol
from whisper_live.audio.decoder import AudioDecoder
from whisper_live.server.session import handshake
from whisper_live.server.session.call_track import CallTrack, Transcript
from whisper_live.server.session.lifecycle import FLUSH_TIMEOUT, EndCause
from whisper_live.telephony.callback_policy import CallbackRefused
from whisper_live.telephony.media_stream import Connected, Media, MediaStreamError, Start, Stop, parse_event
from whisper_live.telephony.reorder import ReorderBuffer
from whisper_live.telephony.transcription_callbacks import TranscriptionCallbacks
from whisper_live.telephony.webhook import CallWebhook

log = logging.getLogger(__name__)

START_TIMEOUT = 10.0  # seconds a new stream has to send its start event
POLL_INTERVAL = 0.5  # how often (s) the reader looks up from a silent stream (drain, time limit, model)
REFUSED_DRAIN = 2.0  # seconds a refused call's transcription-error callback has to be delivered

# The close code (and reason) of each way a call ends.
CLOSE_CODES = {
    EndCause.END_OF_AUDIO: (1000, ""),
    EndCause.CLOSED: (1000, ""),
    EndCause.TIME_LIMIT: (1000, "maximum connection time reached"),
    EndCause.DRAIN: (1001, "server shutting down"),
    EndCause.MODEL_FAILED: (1011, "transcription failed"),
    EndCause.REFUSED: (1003, "malformed event"),
}


class CallRefused(Exception):
    """The call is not served: close with ``code``, count ``metric`` among the rejected connections."""

    def __init__(self, reason: str, code: int, metric: str):
        super().__init__(reason)
        self.reason, self.code, self.metric = reason, code, metric


class _WebhookHold:
    """A track session's hold on the call's webhook: the last one stopped closes it (and joins its thread)."""

    def __init__(self, close, holders: int):
        self._close, self._holders, self._lock = close, holders, threading.Lock()

    def stop(self) -> None:
        with self._lock:
            self._holders -= 1
            last = self._holders == 0
        if last:
            self._close()


class TwilioCall:
    """One Media Streams connection: the adapter between its events, its tracks' sessions and its webhook."""

    def __init__(self, calls, websocket):
        """``calls``: the server's :class:`~whisper_live.server.session.phone_calls.PhoneCalls`."""
        self.calls = calls
        self.server = calls.server
        self.websocket = websocket
        self.reorder = ReorderBuffer()
        self.tracks: dict[str, CallTrack] = {}
        self.start: Optional[Start] = None
        self.callbacks: Optional[TranscriptionCallbacks] = None
        self.webhook: Optional[CallWebhook] = None
        self._emit_lock = threading.Lock()  # a SequenceId is taken and queued in one step
        self._malformed = ""
        self.name = "?"  # the call's CallSid, once its start came

    def run(self) -> None:
        metrics = self.server.metrics
        try:
            self._begin()
        except Exception as exc:  # noqa: BLE001 (refused, or a fault: the call is not served either way)
            refused = exc if isinstance(exc, CallRefused) else CallRefused(f"internal error: {exc!r}", 1011, "error")
            metrics.reject(refused.metric)
            log.log(logging.INFO if refused is exc else logging.ERROR, "call %s refused: %s", self.name, refused.reason,
                    exc_info=refused is not exc)
            self._refuse(refused)
            return
        metrics.connections.inc()
        metrics.connections_active.inc()
        cause = EndCause.CLOSED
        try:
            cause = self._read_media()
            self._finish(cause)
        finally:
            metrics.connections_active.dec()
            for track in self.tracks.values():
                track.session.end(cause)  # (once: after _finish, nothing is left to do)

    # --- the start ------------------------------------------------------------------------------------------

    def _begin(self) -> None:
        start = self.start = self._read_start()
        self.name = start.call_sid
        params = start.custom_parameters
        try:
            target = self.calls.target(params.get("statusCallbackUrl") or self.calls.default_url)
        except CallbackRefused as exc:
            self.calls.counters.add("refused")
            raise CallRefused(str(exc), 1008, "callback_url") from None
        language = (params.get("languageCode") or "").split("-")[0].lower() or None
        partial_results = params.get("partialResults", "").strip().lower() in ("true", "1", "yes")
        for name in start.tracks:
            self.tracks[name] = self._track(name, language, partial_results)
        first = next(iter(self.tracks.values())).stream.config.language
        self.callbacks = TranscriptionCallbacks(start.call_sid, start.account_sid,
                                                language_code=params.get("languageCode") or first or "")
        self.webhook = CallWebhook(target, self.calls.counters, call_sid=start.call_sid,
                                   **self.calls.webhook_options)
        if self.server.draining:
            raise CallRefused("the server is shutting down", 1013, "draining")
        for track in self.tracks.values():
            refused = self.server.manager.try_add(track.session)
            if refused is not None:
                raise CallRefused(f"server full: {refused[0]}", 1013, "full")
        hold = _WebhookHold(self._close_webhook, len(self.tracks))
        tracks = "both_tracks" if len(self.tracks) > 1 else f"{start.tracks[0]}_track"
        self.webhook.send(self.callbacks.started(tracks, partial_results))
        for track in self.tracks.values():
            track.session.own(hold)
            track.session.join_runner(track)
        log.info("call %s (stream %s): %s transcribed, callbacks to %s (%d sessions)", start.call_sid,
                 start.stream_sid, " and ".join(self.tracks), target.host, len(self.server.manager))

    def _read_start(self) -> Start:
        give_up = time.monotonic() + START_TIMEOUT
        while True:
            left = give_up - time.monotonic()
            if left <= 0:
                raise CallRefused(f"no start event within {START_TIMEOUT:g} s", 1008, "bad_call")
            try:
                message = self.websocket.recv(timeout=left)
            except TimeoutError:
                continue
            except ConnectionClosed:
                raise CallRefused("the stream closed before its start event", 1000, "bad_call") from None
            try:
                event = parse_event(message)
            except MediaStreamError as exc:
                raise CallRefused(f"malformed event: {exc}", 1003, "bad_call") from None
            if isinstance(event, Start):
                return event
            if not isinstance(event, Connected):
                raise CallRefused(f"a {type(event).__name__.lower()} event came before the start event", 1003,
                                  "bad_call")

    def _track(self, name: str, language: Optional[str], partial_results: bool) -> CallTrack:
        start, server = self.start, self.server
        fmt = start.media_format
        options = protocol.ClientOptions(uid=f"{start.call_sid}:{name}", language=language,
                                         audio_format=fmt.audio_format, sample_rate=fmt.sample_rate)
        try:
            decoder = AudioDecoder(fmt.audio_format, fmt.sample_rate)
        except protocol.ProtocolError as exc:
            raise CallRefused(f"start.mediaFormat: {exc}", 1003, "bad_call") from None
        try:
            choice = handshake.choose_runner(server, options)
        except handshake.Refused as refused:
            raise CallRefused(refused.reason, refused.code, refused.metric or "model") from None
        for warning in choice.warnings:
            log.info("call %s: %s", start.call_sid, warning)
        return CallTrack(name, options.uid, handshake.build_stream(server, options, choice.runner), choice.runner,
                         decoder, emit=self._emit, max_connection_time=server.config.max_connection_time,
                         partial_results=partial_results, on_end=lambda track: server.manager.remove(track.session),
                         metrics=server.metrics)

    def _refuse(self, refused: CallRefused) -> None:
        """Close the stream; end what was made (tracks admitted go out of the register); tell the webhook."""
        if self.webhook is not None:
            self.webhook.send(self.callbacks.error(refused.reason, refused.metric))
        self._close(refused.code, refused.reason)
        for track in self.tracks.values():
            track.session.end(EndCause.REFUSED)
        if self.webhook is not None:
            self.webhook.close(REFUSED_DRAIN)

    # --- the call -------------------------------------------------------------------------------------------

    def _read_media(self) -> EndCause:
        tracks = list(self.tracks.values())
        while True:
            if any(t.failed for t in tracks):
                return EndCause.MODEL_FAILED
            if any(t.session.drain_by is not None for t in tracks):
                return EndCause.DRAIN
            remaining = min(t.session.remaining() for t in tracks)
            if remaining <= 0:
                return EndCause.TIME_LIMIT
            try:
                message = self.websocket.recv(timeout=min(POLL_INTERVAL, remaining))
            except TimeoutError:
                continue
            except ConnectionClosed:
                return EndCause.CLOSED
            try:
                if self._take(parse_event(message)):
                    return EndCause.END_OF_AUDIO
            except (MediaStreamError, protocol.ProtocolError) as exc:
                self._malformed = str(exc)
                return EndCause.REFUSED

    def _take(self, event) -> bool:
        """One event of the running call; True at its stop."""
        if isinstance(event, Media):
            if event.track not in self.tracks:
                raise MediaStreamError(f"media of the {event.track} track, which the start event did not name")
            for media in self.reorder.push(event):
                self.tracks[media.track].add_media(media.payload)
            return False
        if isinstance(event, Start):
            raise MediaStreamError("a second start event")
        return isinstance(event, Stop)  # connected, dtmf, mark: nothing to transcribe

    def _finish(self, cause: EndCause) -> None:
        tracks = list(self.tracks.values())
        if cause is EndCause.REFUSED:
            self.server.metrics.errors.labels(type="protocol").inc()
            log.warning("call %s: malformed event, stream closed: %s", self.name, self._malformed)
            self._emit_error(f"malformed Media Streams event: {self._malformed}", "malformed_event")
        else:
            try:
                for media in self.reorder.flush():
                    self.tracks[media.track].add_media(media.payload)
            except protocol.ProtocolError:
                pass  # (a payload of half a sample at the very end: nothing to hear in it)
            for track in tracks:
                track.end_audio(cause)
            give_up = time.monotonic() + min(FLUSH_TIMEOUT, max(1.0, min(t.session.remaining() for t in tracks)))
            for track in tracks:
                track.session.wait_for(lambda t=track: t.done, max(0.0, give_up - time.monotonic()))
            if any(t.failed for t in tracks):
                cause = EndCause.MODEL_FAILED
                self._emit_error("transcription failed", "model_error")
        self._close(*CLOSE_CODES[cause])
        for track in tracks:
            track.session.end(cause)
        log.info("call %s ended (%s): %d final transcripts; media chunks reordered %d, lost %d, late %d",
                 self.name, cause.value, sum(t.finals for t in tracks), self.reorder.reordered, self.reorder.lost,
                 self.reorder.late)

    # --- callbacks ------------------------------------------------------------------------------------------

    def _emit(self, transcript: Transcript) -> None:
        """(A runner's worker.) Queue one transcript's callback; never waits for the webhook."""
        with self._emit_lock:
            self.webhook.send(self.callbacks.content(transcript.track, transcript.text, transcript.confidence,
                                                     transcript.final, span=(transcript.start, transcript.end)))

    def _emit_error(self, message: str, code: str) -> None:
        with self._emit_lock:
            self.webhook.send(self.callbacks.error(message, code))

    def _close_webhook(self) -> None:
        """The last track ended: transcription-stopped, then deliver what waits (bounded; by a drain's deadline
        too) and join the sender."""
        with self._emit_lock:
            self.webhook.send(self.callbacks.stopped())
        drain_by = min((t.session.drain_by for t in self.tracks.values() if t.session.drain_by is not None),
                       default=None)
        timeout = self.webhook.drain_timeout
        if drain_by is not None:
            timeout = max(0.0, min(timeout, drain_by - time.monotonic()))
        self.webhook.close(timeout)

    def _close(self, code: int, reason: str) -> None:
        try:
            self.websocket.close(code, reason[:120])
        except Exception:  # noqa: BLE001 (the peer is gone: nothing to close)
            log.debug("call %s: the stream was gone before its close", self.name)
