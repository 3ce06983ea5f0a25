"""How long the encoder input of a window is: Whisper's 30 s, or sized to the audio.

Whisper pads every window to 30 s, so its encoder costs as much for 2 s of speech as for 30 s. CTranslate2
encodes shorter mel inputs too; Whisper then needs some silence after the audio (else it hallucinates or
loops) and a window not much shorter than it was trained on (else it cuts endings off). An
:class:`EncoderWindow` says both: the audio plus ``margin`` seconds of silence, never under ``minimum``,
never over 30 s. :class:`EncoderWindows` holds one rule for greedy windows (partials, greedy finals), one
for beam-searched finals, which lose more accuracy in a short window, and one for beam-searched finals that
go on from replayed context, which have heard the speech before them (docs/streaming.md, "Encoder window").

The rules are given as ``MINIMUM+MARGIN`` on the command line (``10+1``); ``full`` is Whisper's own 30 s.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

MAX_WINDOW_SECONDS = 30.0  # Whisper's own window: positions the encoder knows


@dataclass(frozen=True)
class EncoderWindow:
    """Encode ``audio + margin`` seconds, at least ``minimum``, at most 30, in whole seconds."""

    minimum: float = MAX_WINDOW_SECONDS
    margin: float = 0.0

    def seconds(self, audio_seconds: float) -> float:
        """The encoder input length (s) for a window of ``audio_seconds``."""
        wanted = max(audio_seconds + self.margin, self.minimum)
        return float(min(MAX_WINDOW_SECONDS, math.ceil(wanted - 1e-9)))

    @property
    def longest_audio(self) -> float:
        """The most audio (s) that still gets its margin of silence in the window."""
        return MAX_WINDOW_SECONDS - self.margin

    def describe(self) -> str:
        return "full" if self.minimum >= MAX_WINDOW_SECONDS else f"{self.minimum:g}+{self.margin:g}"


FULL = EncoderWindow()


def parse(text: str) -> EncoderWindow:
    """``"10+1"`` (minimum 10 s, 1 s of margin) or ``"full"`` (30 s); ValueError with the reason otherwise."""
    text = text.strip().lower()
    if text in ("full", "30"):
        return FULL
    minimum, plus, margin = text.partition("+")
    try:
        rule = EncoderWindow(float(minimum), float(margin) if plus else 0.0)
    except ValueError:
        raise ValueError(f"{text!r}: give MINIMUM+MARGIN in seconds (e.g. 10+1), or full") from None
    if not 0 < rule.minimum <= MAX_WINDOW_SECONDS or not 0 <= rule.margin < MAX_WINDOW_SECONDS:
        raise ValueError(f"{text!r}: the minimum must lie in (0, 30] s and the margin in [0, 30) s")
    return rule


@dataclass(frozen=True)
class EncoderWindows:
    """The rule for greedy windows, for beam-searched ones (finals decoded as offline Whisper decodes), and
    for beam-searched ones that go on from replayed context (``Request.decode_from``). The defaults are the
    measured ones (docs/streaming.md, "Encoder window")."""

    greedy: EncoderWindow = EncoderWindow(10.0, 1.0)
    beam: EncoderWindow = EncoderWindow(20.0, 3.0)
    continued: EncoderWindow = EncoderWindow(10.0, 3.0)

    def rule(self, beam_size: int, continued: bool = False) -> EncoderWindow:
        if beam_size <= 1:
            return self.greedy
        return self.continued if continued else self.beam


SIZED = EncoderWindows()
FULL_WINDOWS = EncoderWindows(FULL, FULL, FULL)
