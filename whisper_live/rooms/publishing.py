"""A WhisperLive-protocol session that asks for a ``room``: its place in the room, and the reader addresses
its SERVER_READY carries.

The addresses are absolute URLs on the readers' API (``--enable_rest``): ``--public_url`` when set (a
server behind a proxy), else the host the client connected to with the API's port. A private room's URLs
carry its reader token as ``?token=``. Without the API nobody could read a room, so such a client is warned
and served without one.
"""

from __future__ import annotations

from typing import Optional
from urllib.parse import quote, urlsplit


def join(server, client, websocket) -> tuple[Optional[dict], Optional[str]]:
    """Put ``client`` (a ServeClient) in the room its options ask for: (SERVER_READY's room fields, None), or
    (None, a warning) when rooms cannot be read on this server; (None, None) when it asks for no room."""
    options = client.options
    if not options.room:
        return None, None
    base = reader_base(server.config, websocket)
    if base is None:
        return None, (f"room {options.room!r} is not published: rooms are read through the API, which this "
                      f"server does not serve (--enable_rest)")
    client.room = server.rooms.join(options.room, options.speaker_name, options.room_public)
    return addresses(base, options.room, client.room.reader_token), None


def ready_fields(server, client, websocket) -> Optional[dict]:
    """The room fields again (a resumed session)."""
    base = reader_base(server.config, websocket)
    if client.room is None or base is None:
        return None
    return addresses(base, client.room.room.name, client.room.reader_token)


def leave(client) -> None:
    if getattr(client, "room", None) is not None:
        client.room.leave()


def reader_base(config, websocket) -> Optional[str]:
    """``scheme://host:port`` of the readers' API as this client reaches the server, or None without it."""
    if config.public_url:
        return config.public_url.rstrip("/")
    if config.rest_port is None:
        return None
    request = getattr(websocket, "request", None)
    host = (request.headers.get("Host") if request is not None else None) or "localhost"
    hostname = urlsplit(f"//{host}").hostname or "localhost"
    if ":" in hostname:  # IPv6
        hostname = f"[{hostname}]"
    scheme = "https" if config.ssl_certfile else "http"
    return f"{scheme}://{hostname}:{config.rest_port}"


def addresses(base: str, room: str, token: Optional[str]) -> dict:
    """SERVER_READY's room fields: the room, its SSE, WebSocket and caption page URLs (and whether private)."""
    query = f"?token={quote(token)}" if token else ""
    ws_base = "ws" + base[len("http"):] if base.startswith("http") else base
    path = quote(room)
    return {"room": room, "room_public": token is None,
            "room_events": f"{base}/v1/rooms/{path}/events{query}",
            "room_watch": f"{ws_base}/v1/rooms/{path}/watch{query}",
            "room_transcript": f"{base}/v1/rooms/{path}/transcript{query}",
            "room_page": f"{base}/captions/{path}{query}"}
