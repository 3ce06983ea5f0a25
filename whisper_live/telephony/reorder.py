"""Media released per track in chunk order, whatever order it arrived in.

Twilio sends a track's media in order; Telnyx does not promise to. Each track's chunks count from 1, so
a track's media is released as soon as it is the next chunk; later ones wait. A chunk that has not come
after ``max_held`` later ones is taken as lost: the buffer moves past the gap (counted in ``lost``)
rather than hold the call's audio back. A chunk that comes after it was given up for, or twice, is
dropped (counted in ``late``).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from whisper_live.telephony.media_stream import Media

MAX_HELD = 10  # chunks (200 ms of Twilio's 20 ms media) waited for a missing one


@dataclass
class _Track:
    next_chunk: int = 1
    held: dict = field(default_factory=dict)  # chunk -> Media


class ReorderBuffer:
    def __init__(self, max_held: int = MAX_HELD):
        self.max_held = max_held
        self._tracks: dict[str, _Track] = {}
        self.reordered = 0  # chunks that arrived before an earlier one
        self.lost = 0  # chunks skipped over: never arrived in time
        self.late = 0  # chunks dropped: duplicates, or after their gap was skipped

    def push(self, media: Media) -> list[Media]:
        """Take one media message; returns the media now due, in order (often just this one)."""
        track = self._tracks.setdefault(media.track, _Track())
        if media.chunk < track.next_chunk or media.chunk in track.held:
            self.late += 1
            return []
        if media.chunk > track.next_chunk:
            self.reordered += 1
        track.held[media.chunk] = media
        released = self._release(track)
        if len(track.held) > self.max_held:  # give up on the gap, then release what follows it
            first = min(track.held)
            self.lost += first - track.next_chunk
            track.next_chunk = first
            released += self._release(track)
        return released

    def flush(self) -> list[Media]:
        """Everything still held (the stream ended), per track in chunk order, gaps skipped."""
        released = []
        for track in self._tracks.values():
            for chunk in sorted(track.held):
                self.lost += chunk - track.next_chunk
                released.append(track.held.pop(chunk))
                track.next_chunk = chunk + 1
        return released

    @staticmethod
    def _release(track: _Track) -> list[Media]:
        released = []
        while track.next_chunk in track.held:
            released.append(track.held.pop(track.next_chunk))
            track.next_chunk += 1
        return released
