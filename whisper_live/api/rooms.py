"""The readers' routes of a room (docs/rooms.md), on the API's port: asyncio, so that a reader is a coroutine.

* ``GET /v1/rooms/{room}/events``: Server-Sent Events, one JSON object each (``completed``, ``partial``,
  ``end``); completed lines carry their ``seq`` as the event id, so a reconnecting ``EventSource`` (its
  ``Last-Event-ID``) or ``?after=SEQ`` gets every line it missed;
* ``/v1/rooms/{room}/watch``: the same events as WebSocket text messages; the reader only reads;
* ``GET /v1/rooms/{room}/transcript?format=txt|srt|vtt|json``: the room's transcript in time order;
* ``GET /captions/{room}``: a page of large captions (whisper_live/rooms/page/);
* ``GET /v1/rooms/{room}/qr.svg?url=LINK``: a QR code of the room's caption page LINK (only that: rooms/qr.py).

A private room needs its reader token (``?token=``), never an API key: these paths pass the API's key check
(whisper_live/api/operations.py) and check the room's token instead. Readers count against ``--max_readers``.
"""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from urllib.parse import urlsplit

from fastapi import Request, WebSocket
from starlette.responses import JSONResponse, Response
from starlette.websockets import WebSocketDisconnect

from whisper_live.api.direct_send import DirectSend
from whisper_live.api.room_readers import LiveReader, after_seq
from whisper_live.rooms import RoomError, qr
from whisper_live.rooms.formats import FORMATS, transcript
from whisper_live.rooms.reader import ROOM_ENDED, SERVER_STOPPING, TOO_FAR_BEHIND

PAGE_DIR = Path(__file__).resolve().parent.parent / "rooms" / "page"
PAGE_FILES = {"captions.js": "text/javascript; charset=utf-8", "captions.css": "text/css; charset=utf-8"}
PAGE_POLICY = ("default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self' data:; "
               "base-uri 'none'; form-action 'none'")
# A reader's WebSocket close: the room ended, the server stops, the reader fell too far behind.
CLOSE_CODES = {ROOM_ENDED: 1000, SERVER_STOPPING: 1001, TOO_FAR_BEHIND: 1008}


def is_reader_path(path: str) -> bool:
    """Whether ``path`` is a reader's (its room's token is checked, not the API key)."""
    return path.startswith("/v1/rooms/") or path.startswith("/captions/")


def _refusal(error: RoomError) -> JSONResponse:
    return JSONResponse({"error": {"message": error.message, "type": "invalid_request_error", "code": error.reason}},
                        status_code=error.status)


class EventStream(Response):
    """The SSE answer of one reader, written straight to the ASGI connection."""

    HEADERS = [(b"content-type", b"text/event-stream; charset=utf-8"), (b"cache-control", b"no-store"),
               (b"x-accel-buffering", b"no")]  # (no Content-Length: the stream ends when the reader does)

    def __init__(self, live: LiveReader):  # (Response.__init__ would declare an empty body)
        self.live = live
        self.background = None
        self.raw_headers = list(self.HEADERS)

    async def __call__(self, scope, receive, send) -> None:
        await send({"type": "http.response.start", "status": 200, "headers": self.raw_headers})

        async def write(data: bytes, more: bool = True) -> None:
            await send({"type": "http.response.body", "body": data, "more_body": more})

        async def events(batch) -> None:
            await write(b"".join(event.sse for event in batch))

        async def disconnected() -> None:
            while (await receive())["type"] != "http.disconnect":
                pass

        direct = DirectSend.of(scope)
        await write(b"retry: 2000\n\n")
        if await self.live.serve(events, lambda: write(b": keep-alive\n\n"), disconnected,
                                 direct and (lambda batch: direct.write([event.sse for event in batch]))) is not None:
            await write(b"", more=False)


def install(app, state) -> None:
    """Add the readers' routes to ``app`` (whisper_live/api/app.py) for ``state.server.rooms``."""

    def rooms():
        registry = getattr(state.server, "rooms", None)
        if registry is None:
            raise RoomError(404, "this server has no rooms", "not_found")
        return registry

    @app.get("/v1/rooms/{room}/events")
    async def room_events(room: str, request: Request):
        try:
            live = LiveReader(rooms(), room, request.query_params.get("token"),
                              after_seq(request.headers.get("last-event-id") or request.query_params.get("after")),
                              request.scope)
        except RoomError as error:
            return _refusal(error)
        return EventStream(live)

    @app.websocket("/v1/rooms/{room}/watch")
    async def room_watch(websocket: WebSocket, room: str):
        await websocket.accept()
        try:
            live = LiveReader(rooms(), room, websocket.query_params.get("token"),
                              after_seq(websocket.query_params.get("after")), websocket.scope)
        except RoomError as error:
            await websocket.send_text(json.dumps({"type": "error", "message": error.message, "code": error.reason}))
            await websocket.close(1013 if error.status == 503 else 1008, error.reason)
            return

        async def events(batch) -> None:
            for i, event in enumerate(batch):
                if event.kind == "partial" and i and batch[i - 1].kind == "completed":
                    await asyncio.sleep(0)  # the loop's other readers get their completed lines first
                await websocket.send_text(event.data)

        async def disconnected() -> None:
            while True:
                message = await websocket.receive()
                if message["type"] == "websocket.disconnect":
                    return
                if message.get("bytes") is not None:  # a reader cannot send audio
                    raise WebSocketDisconnect(1003)

        direct = DirectSend.of(websocket.scope)
        reason = await live.serve(events, _nothing, disconnected,
                                  direct and (lambda batch: direct.write([event.data.encode() for event in batch])))
        if reason is not None:
            await websocket.close(CLOSE_CODES.get(reason, 1000), reason[:120])

    @app.get("/v1/rooms/{room}/transcript")
    async def room_transcript(room: str, request: Request):
        fmt = request.query_params.get("format", "json")
        if fmt not in FORMATS:
            return JSONResponse({"error": {"message": f"format must be one of {', '.join(FORMATS)}",
                                           "type": "invalid_request_error", "code": "bad_format"}}, status_code=400)
        try:
            found = rooms().find(room, request.query_params.get("token"))
        except RoomError as error:
            return _refusal(error)
        return Response(transcript(room, found.transcript(), fmt), media_type=FORMATS[fmt],
                        headers={"Cache-Control": "no-store"})

    @app.get("/v1/rooms/{room}/qr.svg")
    async def room_qr(room: str, request: Request):
        public_url = getattr(getattr(state.server, "config", None), "public_url", None)
        hosts = {host for host in (request.headers.get("host", "").lower(),
                                   urlsplit(public_url).netloc.lower() if public_url else "") if host}
        link = request.query_params.get("url", "")
        query = qr.caption_link(link, room, hosts)
        if query is None:
            return JSONResponse({"error": {"message": "url must be the caption page of this room on this server",
                                           "type": "invalid_request_error", "code": "bad_url"}}, status_code=400)
        try:
            rooms().find(room, query.get("token"))
        except RoomError as error:
            return _refusal(error)
        return Response(qr.svg(link), media_type="image/svg+xml",
                        headers={"Cache-Control": "no-store", "X-Content-Type-Options": "nosniff",
                                 "Content-Security-Policy": "default-src 'none'"})

    @app.get("/captions/assets/{name}")
    async def caption_asset(name: str):
        if name not in PAGE_FILES:
            return Response(status_code=404)
        return Response((PAGE_DIR / name).read_bytes(), media_type=PAGE_FILES[name],
                        headers={"Cache-Control": "no-cache", "X-Content-Type-Options": "nosniff"})

    @app.get("/captions/{room}")
    async def caption_page(room: str):
        return Response((PAGE_DIR / "captions.html").read_bytes(), media_type="text/html; charset=utf-8",
                        headers={"Cache-Control": "no-cache", "Content-Security-Policy": PAGE_POLICY,
                                 "X-Content-Type-Options": "nosniff", "Referrer-Policy": "no-referrer"})


async def _nothing() -> None:
    """WebSocket readers need no keep-alive of ours: the server pings them (uvicorn's ws_ping_interval)."""
