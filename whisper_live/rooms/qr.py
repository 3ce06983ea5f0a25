"""A QR code (SVG, drawn by the ``segno`` package) of a room's caption page, for readers to scan.

Only a reader link of this server is ever encoded, never an address a requester chose: the link must be the
caption page of the room asked for (``/captions/ROOM``), on a host this server answers as (the host the
request came to, or ``--public_url``'s), with no other query than the page's own options and the room's
reader token; the API checks that token against the room (whisper_live/api/rooms.py).
"""

from __future__ import annotations

import io
from typing import Optional
from urllib.parse import parse_qsl, quote, urlsplit

# The caption page's options (whisper_live/rooms/page/captions.js) and the reader token.
PAGE_KEYS = frozenset({"token", "size", "lines", "transparent", "names"})
MAX_LINK = 1024


def caption_link(url: str, room: str, hosts: set[str]) -> Optional[dict]:
    """The query of ``url`` (a dict: ``token`` and page options) when it is the caption page of ``room`` on one
    of ``hosts`` (``host[:port]``, lower case), else None."""
    if not url or len(url) > MAX_LINK:
        return None
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        return None
    if parts.scheme not in ("http", "https") or parts.username or parts.password or parts.fragment:
        return None
    host = (parts.hostname or "").lower()
    if ":" in host:
        host = f"[{host}]"
    if (f"{host}:{port}" if port else host) not in hosts or parts.path != f"/captions/{quote(room)}":
        return None
    query = parse_qsl(parts.query, keep_blank_values=True)
    keys = [key for key, _ in query]
    if len(set(keys)) != len(keys) or not set(keys) <= PAGE_KEYS:
        return None
    return dict(query)


def svg(link: str) -> bytes:
    """The QR code of ``link`` as an SVG document."""
    import segno

    out = io.BytesIO()
    segno.make(link, error="m").save(out, kind="svg", scale=6, border=2, title="Reader link")
    return out.getvalue()
