"""A session's speaker labels: each completed segment gets one, split first where the voice changes in it.

:class:`SpeakerLabeler` is per session (its :class:`~whisper_live.diarization.clustering.Speakers` are the
voices heard so far); the :class:`~whisper_live.diarization.embedder.SpeakerEmbedder` is shared. For a
segment of at least ``2 * WINDOW`` seconds it embeds windows side by side, in one batch, and looks for the
boundary between two windows where the windows before and after it sound least alike. When those two sides
would not match each other as one speaker, one more window, centred on that boundary, says on which side of
it the voice changed (the side whose voice holds most of it is the longer one), the segment is split there,
at the nearest word boundary (word times are needed for that), and each side is looked at again over the
windows inside it. Each resulting piece's voice is the mean of the windows inside it (a piece too short to
hold one, or a segment too short for windows, is embedded whole), and is assigned. So each second of speech is
embedded about once, plus one window per change: overlapping windows every half window found the change as
precisely but cost twice the CPU.

Labels are ``SPEAKER_00``, ``SPEAKER_01``, ... (or what ``unnamed`` makes of the speaker's number) in order
of first appearance, or the client's ``names`` in that order. Audio quieter than ``QUIET_RMS`` (silence, faint
noise) gets no label; a piece too short to embed takes the label of the speaker heard just before it.
"""

from __future__ import annotations

from typing import Callable, Optional, Sequence

import numpy as np

from whisper_live.diarization.clustering import Speakers
from whisper_live.diarization.embedder import MIN_SAMPLES
from whisper_live.protocol import SAMPLE_RATE, Segment, Word

WINDOW = 1.5
MIN_PIECE = 0.5
QUIET_RMS = 10 ** (-55 / 20)
MAX_SPLITS = 2  # depth of splitting one segment


def default_label(index: int) -> str:
    return f"SPEAKER_{index:02d}"


class SpeakerLabeler:
    def __init__(self, embedder, speakers: Optional[Speakers] = None, names: Sequence[str] = (),
                 unnamed: Callable[[int], str] = default_label):
        self.embedder = embedder
        self.unnamed = unnamed  # the label of speaker number N when no name is left for it
        self.speakers = speakers if speakers is not None else Speakers()  # (an empty one is falsy)
        self.names = list(names)
        self._known: list[str] = []
        self._last: Optional[int] = None

    def name(self, index: Optional[int]) -> Optional[str]:
        """Known speakers by their name; the others by ``names`` in order of appearance, else SPEAKER_NN."""
        if index is None:
            return None
        if index < len(self._known):
            return self._known[index]
        order = index - len(self._known)
        return self.names[order] if order < len(self.names) else self.unnamed(index)

    def enroll(self, name: str, audio: np.ndarray) -> None:
        """A known speaker by voice: ``audio`` (16 kHz) is a reference sample of ``name``. Enroll every known
        speaker before labelling anything."""
        embedding = self.embedder.embed(audio)
        if embedding is None:
            raise ValueError(f"the voice reference of {name!r} is shorter than {MIN_SAMPLES / SAMPLE_RATE} s")
        self.speakers.enroll(embedding)
        self._known.append(name)

    def label(self, audio: np.ndarray, audio_start: float, segments: Sequence[Segment]) -> list[Segment]:
        """``segments`` (completed; times in seconds of the stream) with ``speaker`` set, split where the
        speaker changes inside one. ``audio`` holds the stream's samples from ``audio_start`` seconds on."""
        out: list[Segment] = []
        for segment in segments:
            windows = self._windows(audio, audio_start, segment)
            for piece in self._split(segment, windows, MAX_SPLITS, audio, audio_start):
                index = self._assign(_clip(audio, audio_start, piece.start, piece.end), _within(windows, piece))
                out.append(_with_speaker(piece, self.name(index)))
        return out

    def provisional(self, audio: np.ndarray, audio_start: float, segment: Segment) -> Optional[str]:
        """A label for partial text: the speaker it sounds like now, changing nothing (None if unsure)."""
        clip = _clip(audio, audio_start, segment.start, segment.end)
        if _quiet(clip):
            return None
        embedding = self.embedder.embed(clip)
        if embedding is None:
            return self.name(self._last)
        return self.name(self.speakers.peek(embedding))

    def _assign(self, clip: np.ndarray, windows: Optional["_Windows"] = None) -> Optional[int]:
        """The speaker of ``clip``: its embedding is the mean of ``windows`` (those inside it) where it has
        any, else its own."""
        if _quiet(clip):
            return None
        embedding = windows.vectors.mean(axis=0) if windows is not None else self.embedder.embed(clip)
        if embedding is None:
            return self._last
        self._last = self.speakers.assign(embedding, len(clip) / SAMPLE_RATE)
        return self._last

    def _windows(self, audio, audio_start, segment: Segment) -> Optional["_Windows"]:
        """The embeddings of ``WINDOW`` s windows side by side over a segment that may be split (one model call
        for them all), or None."""
        if not segment.words or segment.end - segment.start < 2 * WINDOW:
            return None
        clip = _clip(audio, audio_start, segment.start, segment.end)
        size = int(WINDOW * SAMPLE_RATE)
        starts = np.arange(0, len(clip) - size + 1, size)
        if len(starts) < 2:
            return None
        vectors = self.embedder.embed_batch([clip[s:s + size] for s in starts])
        return _Windows(segment.start + starts / SAMPLE_RATE, vectors)

    def _split(self, segment: Segment, windows: Optional["_Windows"], depth: int, audio,
               audio_start: float) -> list[Segment]:
        inside = _within(windows, segment)
        if (depth == 0 or not segment.words or segment.end - segment.start < 2 * WINDOW or inside is None
                or len(inside.starts) < 2):
            return [segment]
        change = self._change(inside, audio, audio_start)
        if change is None:
            return [segment]
        pieces = _split_at(segment, change)
        if pieces is None:
            return [segment]
        return [p for piece in pieces for p in self._split(piece, windows, depth - 1, audio, audio_start)]

    def _change(self, windows: "_Windows", audio, audio_start: float) -> Optional[float]:
        """The time where the voice most likely changes over ``windows``, if the two sides are two speakers."""
        vectors, best_k, best_sim, before, after = windows.vectors, None, 1.0, None, None
        for k in range(1, len(vectors)):
            left, right = vectors[:k].mean(axis=0), vectors[k:].mean(axis=0)
            sim = _cosine(left, right)
            if sim < best_sim:
                best_k, best_sim, before, after = k, sim, left, right
        if best_k is None or best_sim >= self.speakers.threshold:
            return None
        boundary = float(windows.starts[best_k])  # where window best_k - 1 ends and best_k begins
        middle = self.embedder.embed(_clip(audio, audio_start, boundary - WINDOW / 2, boundary + WINDOW / 2))
        if middle is None:
            return boundary
        # the voice before the boundary holds most of the middle window: it goes on past the boundary
        return boundary + (WINDOW / 4 if _cosine(middle, before) > _cosine(middle, after) else -WINDOW / 4)


def _cosine(a: np.ndarray, b: np.ndarray) -> float:
    return float(a @ b / max(np.linalg.norm(a) * np.linalg.norm(b), 1e-9))


class _Windows:
    """Embeddings of windows of one segment: their start times (s of the stream) and unit vectors."""

    def __init__(self, starts: np.ndarray, vectors: np.ndarray):
        self.starts, self.vectors = starts, vectors


def _within(windows: Optional[_Windows], segment: Segment) -> Optional[_Windows]:
    """The windows wholly inside ``segment``, or None if there are none."""
    if windows is None:
        return None
    keep = (windows.starts >= segment.start - 1e-6) & (windows.starts + WINDOW <= segment.end + 1e-6)
    return _Windows(windows.starts[keep], windows.vectors[keep]) if keep.any() else None


def _split_at(segment: Segment, change: float) -> Optional[list[Segment]]:
    """``segment`` cut in two at the word boundary nearest ``change``; None if a side would be too short."""
    words = segment.words
    cut = min(range(1, len(words)), key=lambda i: abs(words[i].start - change), default=None)
    if cut is None:
        return None
    boundary = (words[cut - 1].end + words[cut].start) / 2
    if boundary - segment.start < MIN_PIECE or segment.end - boundary < MIN_PIECE:
        return None
    left, right = words[:cut], words[cut:]
    return [Segment(segment.start, boundary, _text(left), segment.completed, left),
            Segment(boundary, segment.end, _text(right), segment.completed, right)]


def _text(words: list[Word]) -> str:
    return "".join(w.word for w in words).strip() if words else ""


def _with_speaker(segment: Segment, speaker: Optional[str]) -> Segment:
    return Segment(segment.start, segment.end, segment.text, segment.completed, segment.words, speaker)


def _clip(audio: np.ndarray, audio_start: float, start: float, end: float) -> np.ndarray:
    first = max(0, int(round((start - audio_start) * SAMPLE_RATE)))
    last = max(first, int(round((end - audio_start) * SAMPLE_RATE)))
    return audio[first:last]


def _quiet(clip: np.ndarray) -> bool:
    return len(clip) == 0 or float(np.sqrt(np.mean(np.square(clip, dtype=np.float64)))) < QUIET_RMS
