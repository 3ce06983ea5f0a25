"""Conversations of distinct real speakers taking turns, built from ../shared/audio, with who spoke when.

Each speaker's clips are cut to turns of at most ``MAX_TURN`` seconds (short clips of one speaker are joined
to at least ``MIN_TURN``); turns alternate between speakers in a seeded random order (never the same speaker
twice in a row), separated by pauses of 0.5 to 1.2 s. A turn made of whole clips carries their reference
text (a clip cut at ``max_turn`` has none), so a conversation of whole clips has a reference transcript.
Used by the diarization bench and its tests.

Scoring (docs/benchmark.md, "Speaker labels"): the *speech time* of a conversation is what Silero VAD
(faster-whisper's bundled model, :func:`silero_speech`) finds inside each turn, so that the silence at a
clip's ends and its pauses, which no transcript segment covers, do not count. :func:`speech_of` gives it as
speech spans, each with its turn's speaker; :func:`attribution` scores labelled segments against them: the
share of the speech time covered by a segment whose label maps, under the best one-to-one mapping of labels
to speakers, to the speaker of that speech. Speech time that no labelled segment covers counts as wrong.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Optional, Sequence

import numpy as np

from whisper_live.protocol import SAMPLE_RATE

MIN_TURN, MAX_TURN = 2.5, 8.0
PAUSES = (0.5, 1.2)
JOIN_GAP = 0.15
# Silero VAD's settings for the speech time: tight, so that only speech counts (a pause of 100 ms or more
# inside a turn is not speech; 30 ms of padding on each side of what it hears)
SPEECH_VAD = {"threshold": 0.5, "min_silence_duration_ms": 100, "speech_pad_ms": 30}

# speaker id -> (glob under the audio folder, description)
SPEAKERS = {
    "1089": ("en/librispeech/1089-*.flac", "LibriSpeech 1089, man"),
    "1272": ("en/librispeech/1272-*.flac", "LibriSpeech 1272, man"),
    "2412": ("en/librispeech/2412-*.flac", "LibriSpeech 2412, woman"),
    "1221": ("en/librispeech/1221-*.flac", "LibriSpeech 1221, woman"),
    "lj": ("en/ljspeech/LJ*.flac", "LJ Speech, woman"),
    "hifi6097": ("en/hifitts_6097/*.flac", "Hi-Fi TTS reader 6097"),
    "cathy": ("en/cathy_arctic/*.flac", "ARCTIC prompts read by Cathy, woman"),
}
# --conversation N picks these (the 4-speaker one has two LibriSpeech women)
DEFAULT_SETS = {
    1: ["lj"],
    2: ["1089", "lj"],
    3: ["1089", "lj", "hifi6097"],
    4: ["1272", "hifi6097", "2412", "1221"],
    5: ["1089", "lj", "hifi6097", "2412", "1221"],
    6: ["1089", "1272", "lj", "hifi6097", "2412", "1221"],
    7: ["1089", "1272", "lj", "hifi6097", "2412", "1221", "cathy"],
}


@dataclass
class Turn:
    speaker: str
    start: float
    end: float
    text: Optional[str] = None  # what is said, when known (a turn of whole clips with references)


@dataclass
class Conversation:
    audio: np.ndarray
    turns: list[Turn]

    @property
    def duration(self) -> float:
        return len(self.audio) / SAMPLE_RATE

    @property
    def reference(self) -> Optional[str]:
        """The conversation's reference transcript, when every turn's text is known."""
        texts = [t.text for t in self.turns]
        return None if any(text is None for text in texts) else " ".join(texts)


@dataclass
class Piece:
    """A turn's audio before it has a place in a conversation."""

    audio: np.ndarray
    text: Optional[str] = None


def speaker_turns(folder: Path, speaker: str, load: Callable[[str], np.ndarray], max_turn: float = MAX_TURN,
                  reference: Callable[[Path], Optional[str]] = lambda path: None) -> list[Piece]:
    """One speaker's audio cut into turns of MIN_TURN to ``max_turn`` seconds (0: whole clips, never cut), in
    file order; a turn of whole clips has their ``reference`` texts joined, a piece of a cut clip none."""
    pattern, _ = SPEAKERS[speaker]
    gap = np.zeros(int(JOIN_GAP * SAMPLE_RATE), dtype=np.float32)
    turns, pending = [], []
    for path in sorted(folder.glob(pattern)):
        clip = load(str(path))
        max_len = int(max_turn * SAMPLE_RATE) if max_turn > 0 else max(len(clip), 1)
        text = reference(path) if len(clip) <= max_len else None
        for i in range(0, len(clip), max_len):
            pending.append(Piece(clip[i:i + max_len], text))
            joined = np.concatenate([a for part in pending for a in (part.audio, gap)][:-1])
            if len(joined) >= MIN_TURN * SAMPLE_RATE:
                texts = [part.text for part in pending]
                turns.append(Piece(joined, None if None in texts else " ".join(texts)))
                pending = []
    return turns


def build(folder: Path, speakers: Sequence[str], turns_each: int, seed: int,
          load: Callable[[str], np.ndarray], no_pause: float = 0.0, max_turn: float = MAX_TURN,
          reference: Callable[[Path], Optional[str]] = lambda path: None) -> Conversation:
    """``turns_each`` turns per speaker. With ``no_pause`` above 0, that share of speaker changes has no
    pause at all (the next voice starts right away). ``max_turn`` and ``reference``: as
    :func:`speaker_turns` takes them."""
    rng = random.Random(seed)
    pools = {s: speaker_turns(folder, s, load, max_turn, reference) for s in speakers}
    for s, pool in pools.items():
        if not pool:
            raise ValueError(f"no audio of speaker {s} under {folder}")
        rng.shuffle(pool)
    remaining = {s: turns_each for s in speakers}
    order: list[str] = []
    while any(remaining.values()):
        choices = [s for s, n in remaining.items() if n and (not order or s != order[-1])]
        if not choices:
            choices = [s for s, n in remaining.items() if n]
        speaker = rng.choice(choices)
        order.append(speaker)
        remaining[speaker] -= 1
    parts, turns, at = [], [], 0
    used = {s: 0 for s in speakers}
    for i, speaker in enumerate(order):
        if i:
            pause = 0.0 if rng.random() < no_pause else rng.uniform(*PAUSES)
            parts.append(np.zeros(int(pause * SAMPLE_RATE), dtype=np.float32))
            at += len(parts[-1])
        piece = pools[speaker][used[speaker] % len(pools[speaker])]
        used[speaker] += 1
        turns.append(Turn(speaker, at / SAMPLE_RATE, (at + len(piece.audio)) / SAMPLE_RATE, piece.text))
        parts.append(piece.audio)
        at += len(piece.audio)
    return Conversation(np.concatenate(parts).astype(np.float32), turns)


def silero_speech(audio: np.ndarray) -> list[tuple[float, float]]:
    """Where Silero VAD hears speech in ``audio`` (16 kHz), as (start, end) seconds, with SPEECH_VAD's settings."""
    from faster_whisper.vad import VadOptions, get_speech_timestamps

    spans = get_speech_timestamps(audio, VadOptions(**SPEECH_VAD))
    return [(span["start"] / SAMPLE_RATE, min(span["end"], len(audio)) / SAMPLE_RATE) for span in spans]


def speech_of(conversation: Conversation,
              detect: Callable[[np.ndarray], list[tuple[float, float]]] = silero_speech) -> list[Turn]:
    """The conversation's speech time: what ``detect`` hears inside each turn (each turn's audio on its own),
    one :class:`Turn` of that turn's speaker per stretch of speech, in seconds of the conversation."""
    out = []
    for turn in conversation.turns:
        first, last = int(round(turn.start * SAMPLE_RATE)), int(round(turn.end * SAMPLE_RATE))
        for start, end in detect(conversation.audio[first:last]):
            start, end = turn.start + start, min(turn.start + end, turn.end)
            if end > start:
                out.append(Turn(turn.speaker, start, end))
    return out


@dataclass
class Attribution:
    """How labelled segments fit the speech time (:func:`attribution`)."""

    right: float  # share of the speech time under a segment whose label maps to the speaker of that speech
    covered: float  # share of the speech time under a labelled segment, right or wrong
    mapping: dict  # label -> speaker
    speech_s: float  # the speech time, seconds

    @property
    def labelled_right(self) -> float:
        """Of the speech time under a labelled segment, the share attributed right."""
        return self.right / self.covered if self.covered else 0.0


def attribution(speech: Sequence[Turn], labelled: Sequence[tuple[float, float, Optional[str]]],
                mapping: Optional[dict] = None, step: float = 0.01) -> Attribution:
    """Score ``labelled`` (start, end, label) spans against ``speech`` (spans with their speaker: see
    :func:`speech_of`) in frames of ``step`` seconds. ``mapping`` (label -> speaker) defaults to the best
    one-to-one mapping: the one that puts the most speech time under the right label. Speech time under no
    labelled span counts as wrong; time outside ``speech`` does not count at all."""
    from scipy.optimize import linear_sum_assignment

    refs = sorted({t.speaker for t in speech})
    hyps = sorted({label for _, _, label in labelled if label is not None})
    ends = [t.end for t in speech] + [end for _, end, label in labelled if label is not None]
    frames = int(max(ends, default=0.0) / step) + 1
    ref_at = np.full(frames, -1)
    hyp_at = np.full(frames, -1)
    for t in speech:
        ref_at[int(round(t.start / step)):int(round(t.end / step))] = refs.index(t.speaker)
    for start, end, label in labelled:
        if label is not None:
            hyp_at[int(round(start / step)):int(round(end / step))] = hyps.index(label)
    is_speech = ref_at >= 0
    total = max(int(is_speech.sum()), 1)
    covered = float((is_speech & (hyp_at >= 0)).sum() / total)
    overlap = np.zeros((len(refs), len(hyps)))
    np.add.at(overlap, (ref_at[is_speech & (hyp_at >= 0)], hyp_at[is_speech & (hyp_at >= 0)]), 1)
    if mapping is None:
        rows, cols = linear_sum_assignment(-overlap) if hyps and refs else ([], [])
        mapping = {hyps[c]: refs[r] for r, c in zip(rows, cols)}
    right = sum(overlap[refs.index(speaker), hyps.index(label)] for label, speaker in mapping.items()
                if label in hyps and speaker in refs)
    return Attribution(float(right / total), covered, dict(mapping), float(is_speech.sum() * step))


def attributed(speech: Sequence[Turn], labelled: Sequence[tuple[float, float, Optional[str]]],
               step: float = 0.01) -> tuple[float, dict]:
    """:func:`attribution`'s share right and mapping, for spans of ``speech`` (or whole turns, to count the
    turns' whole time)."""
    found = attribution(speech, labelled, step=step)
    return found.right, found.mapping
