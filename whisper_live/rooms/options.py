"""The options of a client that publishes into a room: ``room``, ``speaker_name`` and ``room_public``.

They ride in the WhisperLive options message (``ClientOptions`` of whisper_live/protocol/options.py); a client that
sends no ``room`` is served exactly as without rooms.
"""

from __future__ import annotations

import re
from typing import Any, Optional

# A room name goes into URLs as is: letters, digits, '-', '_', '.', at most 64 characters.
ROOM_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")
MAX_SPEAKER_NAME = 64


def room_options(data: dict, error: type) -> tuple[Optional[str], str, bool]:
    """(room, speaker_name, room_public) from the options message ``data``; ``error`` (ProtocolError) is
    raised with a reason the client can act on."""
    room = data.get("room")
    if room is None or room == "":
        room = None
    elif not isinstance(room, str) or not ROOM_NAME.match(room):
        raise error("room must be 1 to 64 letters, digits, '-', '_' or '.', starting with a letter or digit")
    speaker: Any = data.get("speaker_name") or ""
    if not isinstance(speaker, str):
        raise error("speaker_name must be a string")
    speaker = " ".join(speaker.split())
    if len(speaker) > MAX_SPEAKER_NAME:
        raise error(f"speaker_name must be at most {MAX_SPEAKER_NAME} characters")
    return room, speaker, bool(data.get("room_public", False))
