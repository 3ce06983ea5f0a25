"""A room's transcript lines and the events its readers receive, each serialized once for every reader (its JSON,
and the Server-Sent Event of it).

Times are seconds on the room's clock: from the room's creation, by the wall time of the audio (a publisher's
segment at ``t`` seconds of its stream is at ``publisher.origin - room.epoch + t``), so that the segments of
publishers who joined at different moments sort together.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Optional


@dataclass
class Line:
    """One completed segment of one publisher, on the room's clock."""

    seq: int  # the room's count of completed lines when this one arrived (1, 2, ...): readers resume after it
    publisher: int  # the publisher's number in the room (1, 2, ...): tells apart two speakers of one name
    speaker: str  # the publisher's speaker_name
    start: float
    end: float
    text: str
    label: Optional[str] = None  # a diarization label within the publisher's audio, when there is one

    @property
    def who(self) -> str:
        """The name shown: the speaker's, with the diarization label after it when there is one."""
        return f"{self.speaker} ({self.label})" if self.label else self.speaker

    def to_json(self) -> dict:
        data = {"seq": self.seq, "publisher": self.publisher, "speaker": self.speaker,
                "start": round(self.start, 3), "end": round(self.end, 3), "text": self.text}
        if self.label:
            data["label"] = self.label
        return data


@dataclass(frozen=True)
class Event:
    """What a reader is sent: ``kind`` (``completed``, ``partial``, ``end``), the JSON text, and for a partial the
    publisher whose in-progress text it replaces. ``seq`` is the line's, for a completed event. ``sse`` is the
    event as Server-Sent Event bytes (a completed line's ``seq`` as its ``id``), made once for every reader."""

    kind: str
    data: str
    publisher: int = 0
    seq: int = 0
    sse: bytes = field(default=b"", init=False, repr=False, compare=False)

    def __post_init__(self):
        head = f"id: {self.seq}\n" if self.kind == "completed" else ""
        object.__setattr__(self, "sse", f"{head}data: {self.data}\n\n".encode())


def completed_event(line: Line) -> Event:
    return Event("completed", json.dumps({"type": "completed", **line.to_json()}), line.publisher, line.seq)


def partial_event(publisher: int, speaker: str, start: float, end: float, text: str) -> Event:
    """A publisher's text in progress (empty: nothing in progress now); it replaces the one before."""
    return Event("partial", json.dumps({"type": "partial", "publisher": publisher, "speaker": speaker,
                                        "start": round(start, 3), "end": round(end, 3), "text": text}), publisher)


def end_event(reason: str) -> Event:
    """The last event of a reader: the room ended, or the reader was dropped (``reason`` says which)."""
    return Event("end", json.dumps({"type": "end", "reason": reason}))
