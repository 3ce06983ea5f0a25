"""Rooms: live captions for an audience; sessions publish their transcript into a room that readers follow.

* :mod:`.lines`: a room's transcript lines and the events readers receive (JSON, serialized once);
* :mod:`.reader`: one reader's bounded queue (stale partials replaced, completed text kept or the reader dropped);
* :mod:`.room`: a room: its publishers, its transcript in time order, its readers;
* :mod:`.registry`: every room of the server, its limits and access, and the fan-out thread;
* :mod:`.options`: the ``room`` / ``speaker_name`` / ``room_public`` options of a publishing client;
* :mod:`.formats`: a room's transcript as txt, srt, vtt or json;
* :mod:`.qr`: a QR code of a room's caption page (only that: never a link someone else chose).

The API (whisper_live/api/rooms.py) serves readers; docs/rooms.md describes it for users.
"""

from whisper_live.rooms.registry import RoomError, RoomRegistry

__all__ = ["RoomError", "RoomRegistry"]
