"""Where a window may be cut inside speech, and what to drop around such a cut.

Pure functions over the VAD's frames (``(first sample, speech probability)`` pairs) and segment text,
used by the streaming core (commit.py, endpointing.py, answers.py) when it commits part of an utterance before its
pause: Whisper's timestamps are approximate, so a cut is moved to a quiet frame near them, a segment the
VAD heard no speech in is dropped, and the words a window repeats from just before a cut are dropped.
"""

from __future__ import annotations

from typing import Iterable, Optional, Sequence

from whisper_live.streaming.final_context import normalized_words
from whisper_live.protocol import SAMPLE_RATE, Segment

SNAP_SECONDS = 0.3  # how far a cut may move from Whisper's timestamp to find the quietest frame
MAX_REPEATED_WORDS = 3  # words at a window's start compared with the committed text before the cut
# Quiet audio within this of the last speech frame is not given to the next window as lead-in: the end of
# a word the VAD already calls quiet can still be heard, and Whisper writes it down again.
LEAD_MARGIN_SECONDS = 0.1


def bounded_cut(cut: int, start: int, end: int) -> int:
    """A cut inside the window [start, end) that moves the next window on by at least one second.

    A cut that would leave the next window starting (almost) where this one did makes no progress.
    """
    return min(end, max(start + SAMPLE_RATE, cut))


def snap_to_pause(frames: Iterable[tuple[int, float]], frame_samples: int, sample: int, start: int, end: int,
                  quiet_below: float) -> Optional[int]:
    """The middle of the quietest frame of [start, end) within SNAP_SECONDS of ``sample``.

    None when no frame within reach is quieter than ``quiet_below``: the cut would fall inside a word
    (Whisper's segment end is then a guess), so the caller waits for a better place.
    """
    reach = int(SNAP_SECONDS * SAMPLE_RATE)
    near = [(p, first) for first, p in frames
            if abs(first + frame_samples // 2 - sample) <= reach and start < first and first + frame_samples <= end]
    if not near:
        return None
    p, first = min(near)
    if p >= quiet_below:
        return None
    return first + frame_samples // 2


def quiet_lead(frames: Sequence[tuple[int, float]], start: int, max_lead: int, quiet_below: float) -> int:
    """How many samples before ``start`` (at most ``max_lead``) a window may take as lead-in.

    A window cut at a short pause can start right where the next word does, and Whisper then hears a
    clipped first word ("only a spear" as "on the aspea"). The quiet audio before the cut (already
    committed as the end of the previous window, so it holds no words) gives it back its lead-in; the
    quiet audio right after the previous speech is left out (LEAD_MARGIN_SECONDS). Final windows get it;
    what it gains: docs/streaming.md, "Windows" (Lead-in).
    """
    margin = int(LEAD_MARGIN_SECONDS * SAMPLE_RATE)
    quiet_from = start
    for first, p in reversed(frames):
        if first >= start:
            continue
        if p >= quiet_below:
            quiet_from += margin
            break
        quiet_from = first
        if start - first >= max_lead + margin:
            break
    return max(0, start - max(quiet_from, start - max_lead))


def overlaps_speech(frames: Iterable[tuple[int, float]], frame_samples: int, start_s: float, end_s: float,
                    threshold: float) -> bool:
    """False when every frame centred in [start_s, end_s] was heard as non-speech.

    Whisper tends to make up a word ("Please!", "Thank you.") from a breath at a window's end; such a
    segment is dropped. With no frame in the span (not judged yet, or too short) it is kept.
    """
    lo, hi = start_s * SAMPLE_RATE, end_s * SAMPLE_RATE
    inside = [p for first, p in frames if lo <= first + frame_samples // 2 <= hi]
    return not inside or max(inside) >= threshold


def speech_end(frames: Iterable[tuple[int, float]], frame_samples: int, start: int, end: int,
               quiet_below: float) -> Optional[int]:
    """The end (sample) of the last frame in [start, end) not heard as quiet; None when there is none."""
    ends = [first + frame_samples for first, p in frames if start <= first < end and p >= quiet_below]
    return min(max(ends), end) if ends else None


def without_repeat(segment: Segment, committed_tail: str) -> Segment:
    """``segment`` without the leading words that repeat the end of ``committed_tail``.

    A cut snaps to the pause nearest Whisper's segment end, which can fall just before the segment's last
    word: the next window then hears that word again. Up to MAX_REPEATED_WORDS words are compared.
    """
    tail = normalized_words(committed_tail)
    words = segment.text.split()
    for n in range(min(MAX_REPEATED_WORDS, len(words), len(tail)), 0, -1):
        if normalized_words(" ".join(words[:n])) == tail[-n:]:
            text = " ".join(words[n:])
            return Segment(start=segment.start, end=segment.end, text=(" " + text) if text else "",
                           words=segment.words[n:] if segment.words and len(segment.words) >= n else segment.words)
    return segment
