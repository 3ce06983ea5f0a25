"""What one client's stream is configured with: the client's options and the streaming policy's knobs.

Read by :class:`whisper_live.streaming.Stream`; the server fills it from the client's options
message and its own flags (whisper_live/server/app.py).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Optional

from whisper_live.protocol import VadParameters
from whisper_live.streaming.endpointing import BUSY_SCHEDULE, DEFAULT_SCHEDULE

# Final windows unless the server's flags say otherwise. A backend that can start its answer mid-window
# (Transcriber.continues_mid_window) decodes them as offline Whisper does, with beam search going on from 20 s
# of replayed context: the most accurate setting measured that still keeps the server's latency targets
# (docs/streaming.md, "Finals with context"; the targets and the figures through the server: BENCHMARKS.md).
# Others decode them greedily over 8 s of context and split the answer where the context ends.
CONTINUED_BEAM_SIZE = 5
CONTINUED_CONTEXT = 20.0  # seconds
GREEDY_CONTEXT = 8.0  # seconds


@dataclass
class StreamConfig:
    language: Optional[str] = None
    task: str = "transcribe"
    initial_prompt: Optional[str] = None
    hotwords: Optional[str] = None
    word_timestamps: bool = False
    # Windows are decoded with word times, kept on the committed segments, even when the client did not ask
    # for them (``word_timestamps``): speaker labels split a segment where the voice changes, at a word.
    word_times_for_speakers: bool = False
    no_speech_thresh: float = 0.45
    same_output_threshold: int = 10
    vad: VadParameters = field(default_factory=VadParameters)
    max_buffer: float = 45.0  # seconds of audio kept at most
    max_window: float = 25.0  # seconds of audio in one model call at most
    partial_step: float = 0.5  # new speech (s) before another partial window is worth a model call
    min_speech: float = 0.15  # utterances with less speech than this (s) are ignored
    agreement_after: float = 4.0  # a partial window longer than this may commit agreed segments at a pause
    # ... and past this, it may commit them even where the VAD hears no pause near the segment's end (a
    # reader can go many seconds without one; waiting for the final would cost that much latency). Why 4 s and 6 s:
    # docs/streaming.md, "Agreement: long utterances commit early".
    agreement_in_speech_after: float = 6.0
    # Seconds of already-committed audio replayed before a final window so that Whisper hears the sentence
    # around a short phrase (final_context.py); 0 turns it off.
    final_context: float = GREEDY_CONTEXT
    # Above 1, final windows are decoded as offline Whisper decodes: beam search of this width, conditioned on
    # the committed text before them, going on from the end of their replayed context. More accurate (with
    # 20 s of context), at more model time than greedy finals (docs/streaming.md, "Finals with context").
    final_beam_size: int = 1
    # With final_beam_size above 1: text that two partial answers agree on is decoded again as a final window
    # (beam search, context) before it commits, when the audio at its cut arrived at most this many seconds
    # before the agreement and the model has room (Stream's has_room). Under load partial answers
    # lag, and their greedy text then commits at once (a final on top would push it past the latency target).
    # 0: agreed text commits as the partials gave it. What it gains and costs: docs/streaming.md, "Agreement:
    # long utterances commit early".
    refine_agreed_within: float = 1.5
    # Adaptive endpointing: the pause that ends an utterance shrinks as the utterance grows, as a fraction
    # of vad.min_silence_duration_ms: (utterance shorter than s, fraction); endpointing.py.
    endpoint_schedule: tuple = DEFAULT_SCHEDULE
    # ... and while the model is behind (Stream's has_room says no): shorter pauses end long
    # utterances, so that their final windows are shorter and served sooner.
    endpoint_schedule_busy: tuple = BUSY_SCHEDULE



def default_finals(continues_mid_window: bool, beam_size: Optional[int] = None,
                   context: Optional[float] = None) -> tuple[int, float]:
    """(final_beam_size, final_context) for a server whose transcriber ``continues_mid_window`` or not: those
    it was given (not None), else the defaults above (the context's follows the beam size)."""
    if beam_size is None:
        beam_size = CONTINUED_BEAM_SIZE if continues_mid_window else StreamConfig.final_beam_size
    if context is None:
        context = CONTINUED_CONTEXT if beam_size > 1 else GREEDY_CONTEXT
    return beam_size, context
