"""The recorded speech the Firefox tests play: two pytest-audioeval clips (real voices, with reference texts)
joined by a pause, as one WAV with quiet before and after."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import soundfile as sf

from tests.conftest import audioeval_clip

CLIPS = ("quick_brown_fox", "hello_world")


def recorded_speech(folder: Path) -> tuple[Path, str]:
    """``(wav, reference text)``: the clips at their own rate, 0.5 s before, 0.6 s between, 1 s after."""
    parts, texts, rate = [], [], None
    for name in CLIPS:
        path, text = audioeval_clip("en", name)
        audio, clip_rate = sf.read(path, dtype="float32", always_2d=True)
        if rate is None:
            rate = clip_rate
        assert clip_rate == rate, (path, clip_rate, rate)
        parts += [np.zeros(int((0.5 if not parts else 0.6) * rate), np.float32), audio.mean(axis=1)]
        texts.append(text)
    parts.append(np.zeros(rate, np.float32))
    wav = folder / "recorded-speech.wav"
    sf.write(wav, np.concatenate(parts), rate, subtype="PCM_16")
    return wav, " ".join(texts)
