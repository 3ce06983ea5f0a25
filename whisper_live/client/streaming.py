"""Push-based client: the caller owns the audio (a call, a game, a pipeline) and sends chunks as they come.

All callbacks run on one reader thread, in the order the server's messages arrive:
``on_session_started(backend)`` first, then ``on_partial(segments)`` / ``on_committed(segment)`` /
``on_language(code, prob)`` / ``on_error(message)`` / ``on_reconnecting()`` / ``on_resumed(seconds)``, and
``on_close()`` last, exactly once. A dropped connection is resumed on its own (``on_reconnecting``, then
``on_resumed`` with the seconds of audio the server held); :meth:`send` keeps the audio meanwhile.
"""

from __future__ import annotations

import threading
import uuid
from typing import Callable, Optional, Union

import numpy as np

from whisper_live.protocol import (AUDIO_FORMATS, SAMPLE_RATE, ClientOptions, Reply, Segment, VadParameters,
                                   encode_audio_frame)

from .errors import ClientError
from .link import DEFAULT_KBPS, AdaptiveBitrate
from whisper_live.audio.encoder import CODEC_RATES, open_encoder
from whisper_live.audio.resample import Resampler, to_float32
from .session import Session, SessionHandler, server_url
from .transcript import Transcript

Chunk = Union[bytes, bytearray, memoryview, np.ndarray]

# Frames are cut to at most this many samples (the server takes up to 10 s per frame).
_MAX_FRAME_SAMPLES = SAMPLE_RATE * 5


class StreamingTranscriptionClient(SessionHandler):
    """Send PCM with :meth:`send`; get callbacks; :meth:`finish` returns the completed segments.

    ``audio_format`` ("int16" or "float32") is both the format sent to the server and how ``bytes`` chunks
    are read. numpy chunks of int16 or float dtype are converted as needed, 2-D ``(frames, channels)``
    arrays are mixed down, and a ``sample_rate`` other than 16000 is resampled here. Chunks may have any
    size, bytes chunks even a partial sample: the remainder waits for the next chunk. ``codec`` ("mulaw" or
    "alaw") sends the audio to the server as G.711 at 8 kHz instead, ``"opus"`` as Opus packets at
    ``bitrate`` kbit/s or ``"auto"`` (following the link); chunks are still read as ``audio_format`` at
    ``sample_rate``.
    """

    def __init__(self, host: str = "localhost", port: int = 9090, audio_format: str = "float32",
                 sample_rate: int = SAMPLE_RATE, lang: Optional[str] = None, translate: bool = False,
                 model: Optional[str] = None, use_vad: bool = True, send_last_n_segments: int = 10,
                 no_speech_thresh: float = 0.45, initial_prompt: Optional[str] = None,
                 hotwords: Optional[str] = None, word_timestamps: bool = False, use_wss: bool = False,
                 vad_parameters: Optional[dict] = None, open_timeout: float = 10.0,
                 api_key: Optional[str] = None, ca_file: Optional[str] = None,
                 on_session_started: Optional[Callable[[Optional[str]], None]] = None,
                 on_partial: Optional[Callable[[list], None]] = None,
                 on_committed: Optional[Callable[[Segment], None]] = None,
                 on_language: Optional[Callable[[str, Optional[float]], None]] = None,
                 on_error: Optional[Callable[[str], None]] = None,
                 on_close: Optional[Callable[[], None]] = None,
                 on_reconnecting: Optional[Callable[[], None]] = None,
                 on_resumed: Optional[Callable[[float], None]] = None, codec: Optional[str] = None,
                 bitrate: Union[int, str, None] = None):
        if audio_format not in ("int16", "float32"):
            raise ValueError(f"audio_format must be 'int16' or 'float32', not {audio_format!r}")
        if codec is not None and codec not in CODEC_RATES:
            raise ValueError(f"codec must be one of {', '.join(CODEC_RATES)}, not {codec!r}")
        self.url = server_url(host, port, use_wss)
        self.api_key, self.ca_file = api_key, ca_file
        self.audio_format = audio_format
        self.sample_rate = int(sample_rate)
        self.options = ClientOptions(
            uid=str(uuid.uuid4()), language=lang, task="translate" if translate else "transcribe", model=model,
            use_vad=use_vad, send_last_n_segments=send_last_n_segments, no_speech_thresh=no_speech_thresh,
            initial_prompt=initial_prompt, hotwords=hotwords, word_timestamps=word_timestamps,
            audio_format=codec or audio_format, sample_rate=CODEC_RATES.get(codec, SAMPLE_RATE),
            vad_parameters=VadParameters.from_wire(vad_parameters))
        auto = bitrate in (None, "auto")  # 16 kHz -> G.711 at 8 kHz, or Opus at a bitrate
        self._encoder = open_encoder(codec, None, DEFAULT_KBPS if auto else int(bitrate)) if codec else None
        self.link = AdaptiveBitrate(self._encoder) if auto and codec == "opus" else None
        self.open_timeout = open_timeout
        self.on_session_started = on_session_started
        self.on_partial = on_partial
        self.on_committed = on_committed
        self.on_language = on_language
        self.on_error = on_error
        self.on_close = on_close
        self.on_reconnecting_callback = on_reconnecting
        self.on_resumed_callback = on_resumed
        self.transcript = Transcript()
        self.error: Optional[str] = None
        self.session: Optional[Session] = None
        self._itemsize = AUDIO_FORMATS[audio_format].itemsize
        self._carry = b""
        self._resampler = Resampler(self.sample_rate) if self.sample_rate != SAMPLE_RATE else None
        self._started = threading.Event()
        self._last_partial: list = []

    # --- life cycle -----------------------------------------------------------------------------------

    def start(self) -> "StreamingTranscriptionClient":
        """Connect and wait for admission; raises a :class:`ClientError` subclass when refused."""
        self.session = Session(self.url, self.options, self, self.open_timeout, self.api_key, self.ca_file)
        try:
            self.session.open()
        except ClientError as exc:
            self._emit(self.on_error, str(exc))
            self._emit(self.on_close)
            raise
        self._emit(self.on_session_started, self.session.backend)
        self._started.set()
        return self

    def send(self, chunk: Chunk) -> bool:
        """Queue one chunk; False when the session is over (the server closed it)."""
        if self.session is None:
            raise ClientError("call start() before send()")
        if isinstance(chunk, (bytes, bytearray, memoryview)):
            data = self._carry + bytes(chunk)
            whole = len(data) - len(data) % self._itemsize
            self._carry = data[whole:]
            if not whole:
                return not self.session.closed
            if self._resampler is None and self._encoder is None:
                return self._send_bytes(data[:whole])
            samples = np.frombuffer(data[:whole], dtype=AUDIO_FORMATS[self.audio_format])
        else:
            samples = np.asarray(chunk)
        return self._send_samples(samples)

    def _send_samples(self, samples: np.ndarray) -> bool:
        if samples.ndim == 2:
            samples = to_float32(samples).mean(axis=1, dtype=np.float32)
        if self._resampler is not None:
            samples = self._resampler(samples)
        if self._encoder is not None:
            samples = to_float32(samples)
            if self.link is not None:
                self.link.adapt(self.session, len(samples) / SAMPLE_RATE)
            return self._send_frames(self._encoder.frames(samples))
        if samples.dtype == np.int16 and self.audio_format == "int16":
            return self._send_bytes(samples.astype("<i2", copy=False).tobytes())
        samples = to_float32(samples)
        return self._send_bytes(encode_audio_frame(samples, self.audio_format))

    def _send_bytes(self, data: bytes) -> bool:
        step = _MAX_FRAME_SAMPLES * AUDIO_FORMATS[self.options.audio_format].itemsize
        for i in range(0, len(data), step):
            if not self.session.send(data[i:i + step]):
                return False
        return True

    def _send_frames(self, frames: list[bytes]) -> bool:
        return all([self.session.send(frame, self._encoder.samples_in(frame)) for frame in frames])

    def finish(self, timeout: float = 60.0) -> list[Segment]:
        """End the audio, wait for the final segments (up to ``timeout`` s), close; the completed segments."""
        if self.session is not None and not self.session.closed:
            if self._resampler is not None:
                tail = self._resampler.flush()
                if tail.size:
                    if self._encoder is not None:
                        self._send_frames(self._encoder.frames(tail))
                    else:
                        self._send_bytes(encode_audio_frame(tail, self.audio_format))
            if self._encoder is not None:
                self._send_frames(self._encoder.flush_frames())
            self.session.finish(timeout)
        self.close()
        return list(self.transcript.completed)

    def close(self) -> None:
        if self.session is not None:
            self.session.close()

    def __enter__(self) -> "StreamingTranscriptionClient":
        return self.start()

    def __exit__(self, exc_type, exc, tb) -> None:
        if exc_type is None:
            self.finish()
        else:
            self.close()

    # --- replies (reader thread) ----------------------------------------------------------------------

    def on_reply(self, reply: Reply) -> None:
        self._started.wait(self.open_timeout)  # on_session_started always comes first
        if reply.kind == "segments":
            if self.link is not None:
                self.link.heard(reply.segments)
            for seg in self.transcript.update(reply.segments):
                self._emit(self.on_committed, seg)
            pending = self.transcript.pending
            if pending and [(s.start, s.text) for s in pending] != self._last_partial:
                self._last_partial = [(s.start, s.text) for s in pending]
                self._emit(self.on_partial, list(pending))
        elif reply.kind == "language":
            self.transcript.language = reply.language
            self.transcript.language_prob = reply.language_prob
            self._emit(self.on_language, reply.language, reply.language_prob)
        elif reply.kind == "error":
            self.error = str(reply.message)
            self._emit(self.on_error, self.error)

    def on_closed(self) -> None:
        self._started.wait(self.open_timeout)
        self._emit(self.on_close)

    def on_reconnecting(self, attempt: int, delay: float) -> None:
        if attempt == 1:
            self._emit(self.on_reconnecting_callback)

    def on_resumed(self, audio_received: float) -> None:
        self._emit(self.on_resumed_callback, audio_received)

    @staticmethod
    def _emit(callback, *args) -> None:
        if callback is not None:
            callback(*args)
