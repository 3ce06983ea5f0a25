"""The API's ASGI application: :func:`create_app` builds it around a running :class:`TranscriptionServer`.

Routes: ``/v1/audio/transcriptions``, ``/v1/audio/translations`` (whisper_live/api/transcriptions.py),
``/v1/models`` and ``/v1/models/{id}``, and the Realtime WebSocket ``/v1/realtime``
(whisper_live/api/realtime.py). All of them use the server's models and schedulers, so files and Realtime
sessions share the model with the WebSocket clients.

The server's access rules, metrics and status (API keys, origins, rate limit, ``/health``, ``/ready``,
``/metrics``, ``whisperlive_rest_requests_total``) come from the server's own objects
(whisper_live/api/operations.py) and are checked by one gate (whisper_live/api/gate.py). ``dependencies``
adds FastAPI dependencies run before every route, and middleware may be added to the returned app. TLS is
the HTTP thread's (whisper_live/api/http_thread.py). This module is imported only when the API is enabled (it
imports FastAPI). :class:`ApiState` counts the requests and sessions in flight and refuses new ones once
:meth:`ApiState.drain` was called.
"""

from __future__ import annotations

import logging
import threading
import time
from typing import Sequence

from fastapi import Depends, FastAPI, Request, WebSocket
from starlette.requests import ClientDisconnect
from starlette.responses import JSONResponse, Response

from whisper_live.api import catalog, errors
from whisper_live.api.gate import Gate
from whisper_live.api.uploads import MIB

log = logging.getLogger(__name__)

DEFAULT_MAX_UPLOAD_MB = 100.0


class ApiState:
    """What the routes share: the server, the upload limit, and the work in flight (for draining)."""

    def __init__(self, server, max_upload_mb: float = DEFAULT_MAX_UPLOAD_MB):
        self.server = server
        self.max_upload_bytes = int(max_upload_mb * MIB)
        self.started = int(time.time())
        self._draining = False
        self._in_flight = 0
        self._idle = threading.Condition()
        self.realtime_sessions: set = set()

    @property
    def draining(self) -> bool:
        """Whether new work is refused: this API drains, or the whole server does (its ``draining``)."""
        return self._draining or bool(getattr(self.server, "draining", False))

    def enter(self) -> None:
        if self.draining:
            raise errors.ApiError(503, "the server is shutting down", type="server_error", code="shutting_down")
        with self._idle:
            self._in_flight += 1

    def leave(self) -> None:
        with self._idle:
            self._in_flight -= 1
            self._idle.notify_all()

    @property
    def in_flight(self) -> int:
        with self._idle:
            return self._in_flight

    def drain(self, timeout: float) -> bool:
        """Refuse new requests and sessions; end the Realtime sessions once their audio is transcribed; wait
        (from any thread but the event loop's) until nothing is in flight. False when ``timeout`` passed."""
        self._draining = True
        for session in list(self.realtime_sessions):
            session.finish_soon()
        deadline = time.monotonic() + timeout
        with self._idle:
            while self._in_flight > 0:
                left = deadline - time.monotonic()
                if left <= 0:
                    return False
                self._idle.wait(left)
        return True


def create_app(server, *, max_upload_mb: float = DEFAULT_MAX_UPLOAD_MB, dependencies: Sequence = ()):
    """The FastAPI app of the OpenAI-compatible API over ``server`` (its ``state`` is an :class:`ApiState`)."""
    from whisper_live.api import realtime, rooms, transcriptions

    state = ApiState(server, max_upload_mb)
    app = FastAPI(title="whisper-live OpenAI-compatible speech API", docs_url=None, redoc_url=None,
                  openapi_url=None, dependencies=[Depends(d) for d in dependencies])
    app.state.api = state
    errors.install(app)

    def draining(request):
        if not state.draining:
            return None
        error = errors.ApiError(503, "the server is shutting down", type="server_error", code="shutting_down")
        return JSONResponse(error.body(), status_code=503)

    checks, on_status = [draining], None
    if getattr(server, "access", None) is not None:  # the server's keys, origins, rate limit, metrics, status
        from whisper_live.api import operations

        more, on_status = operations.install(app, server)
        checks += more
    app.add_middleware(Gate, checks=checks, on_status=on_status)  # (outside CORS: refusals are counted)

    async def counted(handler):
        state.enter()
        try:
            return await handler
        except (ClientDisconnect, ConnectionResetError):  # mid-upload, or while its file was transcribed
            log.info("a client left before its answer")
            return Response(status_code=499)  # (nobody reads it)
        finally:
            state.leave()

    @app.post("/v1/audio/transcriptions")
    async def create_transcription(request: Request):
        return await counted(transcriptions.handle(request, state, "transcribe"))

    @app.post("/v1/audio/translations")
    async def create_translation(request: Request):
        return await counted(transcriptions.handle(request, state, "translate"))

    @app.get("/v1/models")
    async def list_models():
        return {"object": "list", "data": [catalog.model_object(n, state.started)
                                           for n in catalog.model_names(server)]}

    @app.get("/v1/models/{model_id:path}")
    async def get_model(model_id: str):
        if model_id not in catalog.model_names(server):
            raise errors.ApiError(404, f"model {model_id!r} is not served here; GET /v1/models lists those that "
                                       f"are", param="model", code="model_not_found")
        return JSONResponse(catalog.model_object(model_id, state.started))

    @app.websocket("/v1/realtime")
    async def realtime_session(websocket: WebSocket):
        await realtime.serve(websocket, state)

    rooms.install(app, state)  # the readers of rooms (docs/rooms.md)

    return app

