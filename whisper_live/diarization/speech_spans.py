"""A file's labelled segments fitted to the speech they were heard in: who spoke covers when they spoke.

Whisper's segment times come from its timestamp tokens and word alignment, which often start a little after
the voice does, end before it stops, and leave gaps between two segments of one stretch of speech. Speaker
labels say who spoke *when*, so a labelled file's segments are widened to the speech around them: the
stretches Silero VAD hears in the whole file (:func:`speech_regions`), computed once per request.

:class:`SpeechSpans` takes the labelled pieces in order and gives each back once the next one is known:

- a piece's start moves back to the start of the speech it starts in, never before the previous piece's end;
- its end moves on to the end of the speech it ends in, never past the next piece's start; when the next
  piece has another speaker and starts in the same stretch of speech, the gap is shared at its middle.

Times only ever widen into speech the piece already touches: text is never moved, and speech that no
segment touches (what Whisper left out) stays without a label.
"""

from __future__ import annotations

import bisect
from dataclasses import replace
from typing import Optional, Sequence

import numpy as np

from whisper_live.protocol import SAMPLE_RATE

# Silero VAD's settings for the speech regions: a pause of 150 ms ends a stretch of speech, and 30 ms of
# padding keeps a word's first and last sounds inside it.
SPEECH_VAD = {"threshold": 0.5, "min_silence_duration_ms": 150, "speech_pad_ms": 30}


def speech_regions(audio: np.ndarray) -> list[tuple[float, float]]:
    """The (start, end) seconds of each stretch of speech in ``audio`` (16 kHz), in order."""
    from faster_whisper.vad import VadOptions, get_speech_timestamps

    spans = get_speech_timestamps(audio, VadOptions(**SPEECH_VAD))
    return [(s["start"] / SAMPLE_RATE, min(s["end"], len(audio)) / SAMPLE_RATE) for s in spans]


class SpeechSpans:
    """Pieces (anything with ``start``, ``end``, ``speaker``, a dataclass) widened to ``regions``' speech."""

    def __init__(self, regions: Sequence[tuple[float, float]]):
        self._starts = [start for start, _ in regions]
        self._regions = list(regions)
        self._held = None  # the last piece, its start fitted, waiting for the next one to fit its end
        self._floor = 0.0  # where the next piece may start: the end of the piece given back last

    def add(self, piece) -> list:
        """The pieces ready now (the one before ``piece``, fitted), ``piece`` held until the next one."""
        ready = self._release(piece)
        start = self._fitted_start(piece)
        self._held = replace(piece, start=start) if start != piece.start else piece
        return ready

    def finish(self) -> list:
        """The piece still held, fitted to the end of its speech."""
        return self._release(None)

    def _release(self, following) -> list:
        held, self._held = self._held, None
        if held is None:
            return []
        end = self._fitted_end(held, following)
        self._floor = end
        return [replace(held, end=end) if end != held.end else held]

    def _fitted_start(self, piece) -> float:
        region = self._region_at(piece.start)
        start = region[0] if region is not None else piece.start
        return min(piece.start, max(start, self._floor))

    def _fitted_end(self, piece, following) -> float:
        region = self._region_at(piece.end, before=True)
        if region is None:
            return piece.end
        end = region[1]
        if following is not None:
            if following.start <= piece.end:
                return piece.end
            if following.speaker != piece.speaker and self._region_at(following.start) == region:
                end = min(end, (piece.end + following.start) / 2)  # one stretch, two voices: share the gap
            end = min(end, following.start)
        return max(piece.end, end)

    def _region_at(self, t: float, before: bool = False) -> Optional[tuple[float, float]]:
        """The region holding time ``t`` (``before``: holding the instant just before it), if any."""
        i = bisect.bisect_right(self._starts, t) - 1
        if before and i >= 0 and self._starts[i] == t:
            i -= 1
        if i < 0:
            return None
        start, end = self._regions[i]
        return self._regions[i] if (start < t <= end if before else start <= t < end) else None
