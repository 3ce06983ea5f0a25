"""How long the encoder input of a window is: Whisper's 30 s, or sized to the audio.

Whisper pads every window to 30 s, so its encoder costs as much for 2 s of speech as for 30 s. CTranslate2
encodes shorter mel inputs too; Whisper then needs some silence after the audio (else it hallucinates or
loops) and a window not much shorter than it was trained on (else it cuts endings off). An
:class:`EncoderInput` says both: the audio plus ``margin`` seconds of silence, never under ``minimum``,
never over 30 s. :class:`EncoderInputs` holds one rule for greedy windows (partials, greedy finals), one
for beam-searched finals, which lose more accuracy in a short window, and one for beam-searched finals that
go on from replayed context, which have heard the speech before them (docs/streaming.md, "Encoder input").

The rules are given as ``MINIMUM+MARGIN`` on the command line (``10+1``); ``full`` is Whisper's own 30 s.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

MAX_INPUT_SECONDS = 30.0  # Whisper's own window: positions the encoder knows


@dataclass(frozen=True)
class EncoderInput:
    """Encode ``audio + margin`` seconds, at least ``minimum``, at most 30, in whole seconds."""

    minimum: float = MAX_INPUT_SECONDS
    margin: float = 0.0

    def seconds(self, audio_seconds: float) -> float:
        """The encoder input length (s) for a window of ``audio_seconds``."""
        wanted = max(audio_seconds + self.margin, self.minimum)
        return float(min(MAX_INPUT_SECONDS, math.ceil(wanted - 1e-9)))

    @property
    def longest_audio(self) -> float:
        """The most audio (s) that still gets its margin of silence in the window."""
        return MAX_INPUT_SECONDS - self.margin

    def describe(self) -> str:
        return "full" if self.minimum >= MAX_INPUT_SECONDS else f"{self.minimum:g}+{self.margin:g}"


FULL = EncoderInput()


def parse(text: str) -> EncoderInput:
    """``"10+1"`` (minimum 10 s, 1 s of margin) or ``"full"`` (30 s); ValueError with the reason otherwise."""
    text = text.strip().lower()
    if text in ("full", "30"):
        return FULL
    minimum, plus, margin = text.partition("+")
    try:
        rule = EncoderInput(float(minimum), float(margin) if plus else 0.0)
    except ValueError:
        raise ValueError(f"{text!r}: give MINIMUM+MARGIN in seconds (e.g. 10+1), or full") from None
    if not 0 < rule.minimum <= MAX_INPUT_SECONDS or not 0 <= rule.margin < MAX_INPUT_SECONDS:
        raise ValueError(f"{text!r}: the minimum must lie in (0, 30] s and the margin in [0, 30) s")
    return rule


@dataclass(frozen=True)
class EncoderInputs:
    """The rule for greedy windows, for beam-searched ones (finals decoded as offline Whisper decodes), and
    for beam-searched ones that go on from replayed context (``Request.decode_from``). The defaults are the
    measured ones (docs/streaming.md, "Encoder input")."""

    greedy: EncoderInput = EncoderInput(10.0, 1.0)
    beam: EncoderInput = EncoderInput(20.0, 3.0)
    continued: EncoderInput = EncoderInput(10.0, 3.0)

    def rule(self, beam_size: int, continued: bool = False) -> EncoderInput:
        if beam_size <= 1:
            return self.greedy
        return self.continued if continued else self.beam


SIZED = EncoderInputs()
FULL_INPUTS = EncoderInputs(FULL, FULL, FULL)
