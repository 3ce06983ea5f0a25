"""The Realtime transcription WebSocket, ``/v1/realtime?intent=transcription``: OpenAI's events over the
streaming core.

A connection reads the client's events (whisper_live/api/realtime_events.py), resamples its pcm16 audio to
16 kHz and feeds it to the current :class:`RealtimeTurn` (whisper_live/api/realtime_turn.py), a live
client of the model's scheduler like any WebSocket client. A commit ends the turn (its last words become a
final window) and the next audio starts another; ``clear`` drops the turn. Events go out through one
sender task, in the order they were made.

Audio may run ahead of real time by at most ``MAX_AHEAD_SECONDS`` (a client may send a recording in
bursts, not an hour at once): an append past that is refused with an error event and dropped.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import json
import logging
import time
from typing import Optional

import numpy as np

from whisper_live.api import catalog
from whisper_live.api.errors import ApiError
from whisper_live.api.realtime_events import RealtimeError, SessionSettings, error_event, event, new_id, parse
from whisper_live.api.realtime_turn import RealtimeTurn
from whisper_live.protocol import VadParameters
from whisper_live.server.session.lifecycle import FLUSH_TIMEOUT, EndCause, LiveSession
from whisper_live.streaming import StreamConfig, Stream

log = logging.getLogger(__name__)

MAX_AHEAD_SECONDS = 30.0  # how far appended audio may run ahead of real time
# The close code of each way a Realtime session ends that the server chooses (1012: service restart).
CLOSE_CODES = {EndCause.DRAIN: 1012, EndCause.TIME_LIMIT: 1000}


class RealtimeConnection:
    """One Realtime connection: OpenAI's events over one live session, whose turns are its streams."""

    def __init__(self, websocket, state):
        self.websocket = websocket
        self.state = state
        self.server = state.server
        self.settings = SessionSettings(model=websocket.query_params.get("model", ""))
        self._loop = asyncio.get_running_loop()
        self._outbox: asyncio.Queue = asyncio.Queue()
        self.session = LiveSession(new_id("sess"), self.server.default_runner,
                                   max_connection_time=self.server.config.max_connection_time,
                                   on_end=self.server.manager.remove, on_drain=lambda deadline: self.finish_soon())
        self._turn: Optional[RealtimeTurn] = None
        self._turns: list[RealtimeTurn] = []  # not yet finished
        self._resampler = None
        self._credit = MAX_AHEAD_SECONDS  # seconds of audio that may still arrive ahead of real time
        self._credit_at = time.monotonic()
        self._last_item: Optional[str] = None
        self._finishing = False
        self._finish_now = asyncio.Event()  # the server drains: end the session

    # --- events out --------------------------------------------------------------------------------------------

    def emit(self, message: dict) -> None:
        """Queue an event for the client (from any thread)."""
        self._loop.call_soon_threadsafe(self._outbox.put_nowait, message)

    async def _send_loop(self) -> None:
        while True:
            message = await self._outbox.get()
            if message is None:
                return
            try:
                await self.websocket.send_text(json.dumps(message, ensure_ascii=False))
            except Exception:  # the client is gone; the reader notices
                return

    def _previous_item(self, item_id: Optional[str]) -> Optional[str]:
        previous, self._last_item = self._last_item, item_id
        return previous

    # --- the connection --------------------------------------------------------------------------------------

    async def run(self) -> None:
        sender = self._sender = asyncio.create_task(self._send_loop())
        watcher = asyncio.create_task(self._watch())
        self.emit(event("session.created", session=self.settings.to_wire()))
        try:
            while True:
                message = await self.websocket.receive()
                if message["type"] == "websocket.disconnect":
                    break
                try:
                    if message.get("text") is None:
                        raise RealtimeError("events are JSON text frames, not binary ones", code="invalid_event")
                    await self._handle(parse(message["text"]))
                except RealtimeError as exc:
                    self.emit(error_event(exc))
        finally:
            watcher.cancel()
            for turn in self._turns:
                turn.close()
            self._turns.clear()
            self.session.end(EndCause.CLOSED)
            self._outbox.put_nowait(None)
            await asyncio.gather(sender, return_exceptions=True)

    async def _handle(self, data: dict) -> None:
        kind = data["type"]
        event_id = data.get("event_id")
        if kind in ("session.update", "transcription_session.update"):
            await self._update(data, beta=kind.startswith("transcription_session"))
        elif kind == "input_audio_buffer.append":
            await self._append(data.get("audio"), event_id)
        elif kind == "input_audio_buffer.commit":
            self._commit(event_id)
        elif kind == "input_audio_buffer.clear":
            self._drop_turn()
            self.emit(event("input_audio_buffer.cleared"))

    async def _update(self, data: dict, beta: bool) -> None:
        settings = SessionSettings(**vars(self.settings))
        settings.update(data)
        try:
            runner = await catalog.runner_for(self.server, settings.model)
            _check_language(settings.language, runner.transcriber)
        except ApiError as exc:
            raise RealtimeError(exc.message, code=exc.code or "invalid_value", param=exc.param,
                                event_id=data.get("event_id")) from None
        self.settings = settings
        if self._turn is not None and self._turn.audio_seconds == 0:
            self._drop_turn()  # it starts again with the new settings
        if self._turn is None:
            self._resampler = None
        name = "transcription_session.updated" if beta else "session.updated"
        self.emit(event(name, session=settings.to_wire(beta)))

    async def _append(self, audio, event_id) -> None:
        if self._finishing:
            raise RealtimeError("the server is shutting down: no more audio is taken", code="shutting_down",
                                event_id=event_id)
        if not isinstance(audio, str):
            raise RealtimeError("input_audio_buffer.append needs 'audio', base64 of pcm16", code="invalid_value",
                                param="audio", event_id=event_id)
        try:
            raw = base64.b64decode(audio, validate=True)
        except (binascii.Error, ValueError):
            raise RealtimeError("'audio' is not valid base64", code="invalid_value", param="audio",
                                event_id=event_id) from None
        if len(raw) % 2:
            raise RealtimeError("pcm16 audio has an even number of bytes", code="invalid_value", param="audio",
                                event_id=event_id)
        pcm = np.frombuffer(raw, dtype="<i2")
        seconds = len(pcm) / self.settings.rate
        now = time.monotonic()
        self._credit = min(MAX_AHEAD_SECONDS, self._credit + now - self._credit_at)
        self._credit_at = now
        if seconds > self._credit:
            raise RealtimeError(f"audio is appended faster than real time: at most {MAX_AHEAD_SECONDS:g} s ahead "
                                f"of it are taken; these {seconds:.2f} s were dropped", code="audio_too_fast",
                                param="audio", event_id=event_id)
        self._credit -= seconds
        turn = await self._current_turn()
        samples = self._resample(pcm)
        await asyncio.to_thread(turn.add_audio, samples)
        self.session.notify(turn)

    def _resample(self, pcm: np.ndarray) -> np.ndarray:
        from whisper_live.client.resample import Resampler

        if self._resampler is None:
            self._resampler = Resampler(self.settings.rate)
        return self._resampler(pcm)

    async def _current_turn(self):
        if self._turn is None:
            runner = await catalog.runner_for(self.server, self.settings.model)
            cfg = self.server.config
            transcriber = runner.transcriber
            stream = Stream(
                StreamConfig(language=self.settings.language if transcriber.multilingual else "en",
                              initial_prompt=self.settings.prompt, hotwords=self.settings.hotwords,
                              vad=self.settings.vad or VadParameters(),
                              final_context=cfg.final_context, final_beam_size=cfg.final_beam_size,
                              refine_agreed_within=cfg.refine_agreed_within),
                vad=self.server.vad().new_stream() if self.settings.vad is not None else None,
                has_room=runner.meter.has_room)
            self._turn = RealtimeTurn(stream, self.emit, self.session, with_vad=self.settings.vad is not None,
                                      previous_item=self._previous_item)
            self._turns.append(self._turn)
            self.session.join_runner(self._turn, runner)
        self._prune()
        return self._turn

    def _commit(self, event_id=None) -> None:
        turn = self._turn
        if turn is not None and self._resampler is not None:
            tail = self._resampler.flush()
            if len(tail):
                turn.add_audio(tail)
        self._turn, self._resampler = None, None
        if turn is None or not turn.commit():
            raise RealtimeError("the input audio buffer holds no speech to commit",
                                code="input_audio_buffer_commit_empty", event_id=event_id)
        self.session.notify(turn)

    def _drop_turn(self) -> None:
        turn = self._turn
        self._turn, self._resampler = None, None
        if turn is not None:
            turn.close()
            self.session.leave_runner(turn)

    def _prune(self) -> None:
        for turn in [t for t in self._turns if t.finished and t is not self._turn]:
            turn.close()
            self.session.leave_runner(turn)
            self._turns.remove(turn)

    # --- ending --------------------------------------------------------------------------------------------------

    def finish_soon(self) -> None:
        """(Any thread.) Take no more audio, transcribe what was sent, then close (the server drains)."""
        self._loop.call_soon_threadsafe(self._finish_now.set)

    async def _watch(self) -> None:
        """Ends the session when the server drains or the connection time is up: the turn in progress is
        committed, the session waits for the last transcripts, says why it ends, and closes."""
        try:
            await asyncio.wait_for(self._finish_now.wait(), timeout=max(0.0, self.session.remaining()))
            cause = EndCause.DRAIN
        except asyncio.TimeoutError:
            cause = EndCause.TIME_LIMIT
        self._finishing = True
        self.session.begin_ending(cause)
        if self._turn is not None:
            try:
                self._commit()
            except RealtimeError:
                pass
        turns = list(self._turns)
        await asyncio.to_thread(self.session.wait_for, lambda: all(t.finished for t in turns), FLUSH_TIMEOUT)
        self.emit(error_event(RealtimeError(f"{cause.value}: the session ends", code="session_ended"),
                              type="server_error"))
        self._outbox.put_nowait(None)
        await asyncio.gather(self._sender, return_exceptions=True)  # the queue is written
        await self.websocket.close(CLOSE_CODES[cause])


def _check_language(language: Optional[str], transcriber) -> None:
    from whisper_live import fit

    findings = fit.check(transcriber, language).findings
    if findings:  # (the caller turns it into an error event)
        raise ApiError(400, findings[0].message, param=findings[0].param, code=findings[0].code)


async def serve(websocket, state) -> None:
    """One Realtime connection, from the handshake to the close."""
    if getattr(state.server, "access", None) is not None:
        from whisper_live.api.operations import websocket_refusal

        refused = websocket_refusal(websocket, state.server)
        if refused is not None:  # before the handshake: HTTP 401 / 403
            from starlette.responses import JSONResponse

            from whisper_live.api.errors import error_body

            status = 401 if refused == "invalid_api_key" else 403
            await websocket.send_denial_response(JSONResponse(
                error_body("a valid API key is required" if status == 401 else "this origin is not allowed",
                           code=refused), status_code=status))
            return
    await websocket.accept()
    intent = websocket.query_params.get("intent", "transcription")
    refusal = None
    if intent != "transcription":
        refusal = (f"this server does transcription sessions only (intent=transcription), not {intent!r}",
                   "unsupported_intent", 1008)
    elif state.draining:
        refusal = ("the server is shutting down", "shutting_down", 1013)
    connection = None
    if refusal is None:
        connection = RealtimeConnection(websocket, state)
        refused = state.server.manager.try_add(connection.session)
        if refused is not None:
            refusal = (f"server is full: {refused[0]}", "server_full", 1013)
    if refusal is not None:
        message, code, close_code = refusal
        await websocket.send_text(json.dumps(error_event(RealtimeError(message, code=code))))
        await websocket.close(close_code)
        return
    state.enter()
    state.realtime_sessions.add(connection)
    try:
        await connection.run()
    finally:
        state.realtime_sessions.discard(connection)
        state.leave()
