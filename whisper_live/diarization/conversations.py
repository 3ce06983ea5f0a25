"""Conversations of distinct real speakers taking turns, built from ../shared/audio, with who spoke when.

Each speaker's clips are cut to turns of at most ``MAX_TURN`` seconds (short clips of one speaker are joined
to at least ``MIN_TURN``); turns alternate between speakers in a seeded random order (never the same speaker
twice in a row), separated by pauses of 0.5 to 1.2 s. Used by the diarization bench and its tests.
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


@dataclass
class Conversation:
    audio: np.ndarray
    turns: list[Turn]

    @property
    def duration(self) -> float:
        return len(self.audio) / SAMPLE_RATE


def speaker_turns(folder: Path, speaker: str, load: Callable[[str], np.ndarray]) -> list[np.ndarray]:
    """One speaker's audio cut into turns of MIN_TURN to MAX_TURN seconds, in file order."""
    pattern, _ = SPEAKERS[speaker]
    gap = np.zeros(int(JOIN_GAP * SAMPLE_RATE), dtype=np.float32)
    turns, pending = [], []
    for path in sorted(folder.glob(pattern)):
        clip = load(str(path))
        max_len = int(MAX_TURN * SAMPLE_RATE)
        for i in range(0, len(clip), max_len):
            pending.append(clip[i:i + max_len])
            joined = np.concatenate([p for part in pending for p in (part, gap)][:-1])
            if len(joined) >= MIN_TURN * SAMPLE_RATE:
                turns.append(joined)
                pending = []
    return turns


def build(folder: Path, speakers: Sequence[str], turns_each: int, seed: int,
          load: Callable[[str], np.ndarray], no_pause: float = 0.0) -> Conversation:
    """``turns_each`` turns per speaker. With ``no_pause`` above 0, that share of speaker changes has no
    pause at all (the next voice starts right away)."""
    rng = random.Random(seed)
    pools = {s: speaker_turns(folder, s, load) for s in speakers}
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
        clip = pools[speaker][used[speaker] % len(pools[speaker])]
        used[speaker] += 1
        turns.append(Turn(speaker, at / SAMPLE_RATE, (at + len(clip)) / SAMPLE_RATE))
        parts.append(clip)
        at += len(clip)
    return Conversation(np.concatenate(parts).astype(np.float32), turns)


def attributed(turns: Sequence[Turn], labelled: Sequence[tuple[float, float, Optional[str]]],
               step: float = 0.01) -> tuple[float, dict]:
    """The share of speech time attributed to the right speaker under the best one-to-one mapping of
    labels to speakers, and the mapping. ``labelled`` holds (start, end, label) spans."""
    from scipy.optimize import linear_sum_assignment

    refs = sorted({t.speaker for t in turns})
    hyps = sorted({label for _, _, label in labelled if label is not None})
    total = max(t.end for t in turns)
    frames = int(total / step) + 1
    ref_at = np.full(frames, -1)
    hyp_at = np.full(frames, -1)
    for t in turns:
        ref_at[int(t.start / step):int(t.end / step)] = refs.index(t.speaker)
    for start, end, label in labelled:
        if label is not None:
            hyp_at[int(start / step):int(end / step)] = hyps.index(label)
    speech = ref_at >= 0
    if not hyps:
        return 0.0, {}
    overlap = np.zeros((len(refs), len(hyps)))
    for r, h in zip(ref_at[speech], hyp_at[speech]):
        if h >= 0:
            overlap[r, h] += 1
    rows, cols = linear_sum_assignment(-overlap)
    right = overlap[rows, cols].sum()
    return float(right / max(speech.sum(), 1)), {hyps[c]: refs[r] for r, c in zip(rows, cols)}
