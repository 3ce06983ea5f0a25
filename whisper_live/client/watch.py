"""Following a room as a reader (``run_client.py --watch ROOM``): its WebSocket ``/v1/rooms/ROOM/watch``.

Each completed line is printed once with its speaker; the text in progress is shown on the console's last
line. A dropped connection is opened again asking for the lines after the last one printed (``?after=``),
so nothing is lost or printed twice.
"""

from __future__ import annotations

import json
import sys
import time
from typing import Callable, Optional
from urllib.parse import quote

from websockets.exceptions import ConnectionClosed, InvalidHandshake, InvalidStatus
from websockets.sync.client import connect

from whisper_live.client.errors import ServerRejected, ServerUnreachable


def watch_url(host: str, port: int, room: str, token: Optional[str] = None, secure: bool = False,
              after: Optional[int] = None) -> str:
    query = "&".join(part for part in (f"token={quote(token)}" if token else "",
                                       f"after={after}" if after is not None else "") if part)
    return f"{'wss' if secure else 'ws'}://{host}:{port}/v1/rooms/{quote(room)}/watch" + (f"?{query}" if query else "")


def follow(url_for: Callable[[Optional[int]], str], on_event: Callable[[dict], None], *, max_reconnects: int = 5,
           reconnect_delay: float = 2.0, ssl=None) -> str:
    """Read a room's events until it ends; returns the reason of its ``end`` event. ``url_for(after)`` is the
    watch URL (after: the last line seen, or None)."""
    last_seq: Optional[int] = None
    failures = 0
    while True:
        try:
            with connect(url_for(last_seq), ssl=ssl, open_timeout=10) as ws:
                failures = 0
                for message in ws:
                    event = json.loads(message)
                    if event.get("type") == "error":
                        raise ServerRejected(f"the room cannot be followed: {event.get('message')}")
                    if event.get("type") == "completed":
                        if last_seq is not None and event["seq"] <= last_seq:
                            continue
                        last_seq = max(event["seq"], last_seq or 0)
                    on_event(event)
                    if event.get("type") == "end" and not event.get("reason", "").startswith(TOO_FAR_BEHIND):
                        return event.get("reason", "")  # (a reader dropped for lagging catches up instead)
        except (OSError, ConnectionClosed, InvalidHandshake) as exc:
            if isinstance(exc, InvalidStatus) and exc.response.status_code in (401, 403, 404):
                raise ServerRejected(f"the room cannot be followed: HTTP {exc.response.status_code}") from None
            failures += 1
            if failures > max_reconnects:
                raise ServerUnreachable(f"lost the room and could not reconnect: {exc}") from None
        time.sleep(reconnect_delay)


TOO_FAR_BEHIND = "too far behind"  # how the reason of a reader dropped for lagging begins


class WatchView:
    """Prints a room's lines ("Speaker: text") and its text in progress on the last console line."""

    def __init__(self, out=sys.stdout, live: bool = True):
        self.out, self.live = out, live
        self._partial_shown = False

    def __call__(self, event: dict) -> None:
        kind = event.get("type")
        if kind == "completed":
            self._clear()
            who = f"{event['speaker']} ({event['label']})" if event.get("label") else event["speaker"]
            self.out.write(f"{who}: {event['text']}\n")
        elif kind == "partial" and self.live and event.get("text"):
            self._clear()
            self.out.write(f"\r{event['speaker']}: {event['text']}"[:200])
            self._partial_shown = True
        elif kind == "end":
            self._clear()
            self.out.write(f"[{event.get('reason', 'ended')}]\n")
        self.out.flush()

    def _clear(self) -> None:
        if self._partial_shown:
            self.out.write("\r\x1b[K")
            self._partial_shown = False
