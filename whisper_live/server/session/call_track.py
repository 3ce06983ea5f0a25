"""One track of a phone call (``inbound`` or ``outbound``) as a live session: its audio into a stream, its text out.

A :class:`CallTrack` is to a Twilio call what ServeClient is to WhisperLive's protocol, minus the socket: a
:class:`~whisper_live.server.session.lifecycle.LiveSession` of its own (admitted, counted as one speaker,
ended like any session), a :class:`Stream` built as every session's is, and an :class:`AudioDecoder` for
the call's encoding (mu-law at 8 kHz from Twilio). The call (whisper_live/server/session/twilio_call.py)
feeds it media in chunk order and ends it; the runner's workers take its windows and deliver their answers
here, which become transcripts handed to ``emit`` (the call's webhook), in the order they were made.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Callable, Optional

from whisper_live import protocol
from whisper_live.audio.decoder import AudioDecoder
from whisper_live.server.session.lifecycle import EndCause, LiveSession
from whisper_live.server.session.stream_client import StreamClient
from whisper_live.streaming import Stream
from whisper_live.streaming.windows import Window
from whisper_live.transcriber.base import Result


@dataclass
class Transcript:
    """Text of one track, ready for a status callback."""

    track: str  # "inbound" or "outbound"
    text: str
    confidence: float  # 0..1
    final: bool  # False: a partial result, revised by later ones
    start: float  # seconds since the track's first audio
    end: float


class CallTrack(StreamClient):
    """One track's live session and stream; ``emit(transcript)`` is called from the runner's workers."""

    def __init__(self, track: str, uid: str, stream: Stream, runner, decoder: AudioDecoder, *,
                 emit: Callable[[Transcript], None], max_connection_time: float, partial_results: bool = False,
                 on_end: Callable[["CallTrack"], None] = lambda track: None, metrics=None):
        self.track = track
        self.stream = stream
        self.session = LiveSession(uid, runner, max_connection_time=max_connection_time,
                                   on_end=lambda _: on_end(self))
        self.partial_results = partial_results
        self.finals = 0  # final transcripts emitted
        self._lock = self.session.lock
        self._decoder = decoder
        self._emit = emit
        self._metrics = metrics
        self._last_partial = ""

    # --- the call's side ------------------------------------------------------------------------------------

    def add_media(self, payload: bytes) -> None:
        """One media payload, in chunk order; :class:`~whisper_live.protocol.ProtocolError` when it is not
        whole samples of the call's encoding."""
        samples = self._decoder.decode(payload)
        if self._metrics is not None:
            self._metrics.audio_processed.inc(len(samples) / protocol.SAMPLE_RATE)
        with self._lock:
            if not self.session.taking_audio:
                return
            self.stream.add_audio(samples)
            self.stream.take_warnings()  # (audio skipped under load: nobody on a call to warn)
        self.session.notify(self)

    def end_audio(self, cause: EndCause) -> None:
        """No more audio: what the resampler holds and the utterance in progress go to the model."""
        if not self.session.begin_ending(cause):
            return
        with self._lock:
            self.stream.add_audio(self._decoder.flush())
            self.stream.end_of_audio()
        self.session.notify(self)

    @property
    def done(self) -> bool:
        """Every window transcribed (or the model gave up): nothing more will be emitted."""
        with self._lock:
            return self.failed or self.stream.finished or self.session.ended

    # --- the runner's side (worker threads) ---------------------------------------------------------------------

    def deliver(self, window: Window, result: Optional[Result], error: Optional[BaseException]) -> None:
        transcripts = []
        with self._lock:
            if error is not None or result is None:
                self.stream.cancel(window)
                self.failed = self.failed or self.session.model_errors.failed()
            elif not self.session.ended:
                self.session.model_errors.succeeded()
                update = self.stream.apply(window, result)
                confidence = confidence_of(result)
                for segment in update.completed:
                    if segment.text.strip():
                        transcripts.append(Transcript(self.track, segment.text.strip(), confidence, True,
                                                      segment.start, segment.end))
                if update.completed:
                    self._last_partial = ""
                partial = "".join(s.text for s in update.partial).strip()
                if self.partial_results and partial and partial != self._last_partial:
                    self._last_partial = partial
                    transcripts.append(Transcript(self.track, partial, confidence, False,
                                                  update.partial[0].start, update.partial[-1].end))
                if self._metrics is not None:
                    self._metrics.segments_sent(len(update.completed), len(update.partial))
                self.finals += sum(t.final for t in transcripts)
                # emitted with the lock held: the runner delivers one window of a client at a time, and
                # the call's emit only queues, so a track's transcripts keep their order
                for transcript in transcripts:
                    self._emit(transcript)
        self.session.changed()


def confidence_of(result: Result) -> float:
    """The model's mean token probability over the answer's segments (0..1)."""
    if not result.segments:
        return 0.0
    mean = sum(s.avg_logprob for s in result.segments) / len(result.segments)
    return max(0.0, min(1.0, math.exp(mean)))
