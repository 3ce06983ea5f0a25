"""Microphone capture: sounddevice's callback thread fills a queue of 16 kHz mono float32 chunks.

The device is opened at 16 kHz when it accepts that rate, otherwise at its own default rate, and the
audio is resampled here (:class:`~whisper_live.audio.resample.Resampler`).
"""

from __future__ import annotations

import logging
import queue
import threading
from typing import Iterator, Optional

import numpy as np

from whisper_live.protocol import SAMPLE_RATE

from .devices import import_sounddevice
from .errors import MicrophoneUnavailable
from whisper_live.audio.resample import Resampler

log = logging.getLogger(__name__)


class Microphone:
    """Iterate to get chunks; :meth:`stop` (e.g. on Ctrl-C) ends the iteration."""

    live = True
    duration = None

    def __init__(self, device=None, chunk_seconds: float = 0.1, rate: Optional[int] = None,
                 channels: int = 1, max_queued_seconds: float = 30.0):
        self.device = device
        self.name = "microphone"
        self.chunk_samples = max(1, int(round(chunk_seconds * SAMPLE_RATE)))
        self.rate = rate            # the device's rate; None: choose when opening
        self.channels = channels
        self.dropped_seconds = 0.0  # audio lost because nobody read the queue in time
        self._queue: queue.Queue = queue.Queue(maxsize=max(1, int(max_queued_seconds / chunk_seconds)))
        self._resampler: Optional[Resampler] = Resampler(rate) if rate else None
        self._buffer = np.zeros(0, np.float32)
        self._stream = None
        self._stopped = False
        self._flushed = False
        self._lock = threading.Lock()

    # --- the audio thread -----------------------------------------------------------------------------

    def callback(self, indata: np.ndarray, frames: int, time_info, status) -> None:
        """sounddevice's input callback: resample one block and queue it in fixed-size chunks."""
        if status:
            log.debug("input status: %s", status)
        with self._lock:
            if self._flushed:  # a late block after stop(): the stream is over
                return
            if self._resampler is None:
                self._resampler = Resampler(self.rate or SAMPLE_RATE)
            mono = self._resampler(np.asarray(indata)[:frames])
            self._buffer = np.concatenate([self._buffer, mono]) if self._buffer.size else mono
            while self._buffer.size >= self.chunk_samples:
                chunk, self._buffer = self._buffer[:self.chunk_samples], self._buffer[self.chunk_samples:]
                self._put(chunk)

    def _put(self, chunk: np.ndarray) -> None:
        try:
            self._queue.put_nowait(chunk)
        except queue.Full:
            self.dropped_seconds += chunk.size / SAMPLE_RATE

    # --- the reader -----------------------------------------------------------------------------------

    def start(self) -> None:
        sd = import_sounddevice()
        try:
            self._stream = self._open(sd)
            self._stream.start()
        except sd.PortAudioError as exc:
            raise MicrophoneUnavailable(f"cannot open the microphone: {_first_line(exc)}") from None

    def _open(self, sd):
        try:
            info = sd.query_devices(self.device, "input")
        except (ValueError, sd.PortAudioError) as exc:
            raise MicrophoneUnavailable(f"no audio input device ({_first_line(exc)})") from None
        channels = min(self.channels, int(info["max_input_channels"])) or 1
        rates = [self.rate] if self.rate else [SAMPLE_RATE, int(info["default_samplerate"])]
        last_error = None
        for rate in rates:
            try:
                sd.check_input_settings(device=self.device, channels=channels, samplerate=rate, dtype="float32")
            except (ValueError, sd.PortAudioError) as exc:
                last_error = exc
                continue
            self.rate = rate
            self._resampler = Resampler(rate)
            log.info("microphone %r at %d Hz, %d channel(s)", info["name"], rate, channels)
            return sd.InputStream(device=self.device, channels=channels, samplerate=rate, dtype="float32",
                                  blocksize=0, callback=self.callback)
        raise MicrophoneUnavailable(f"the microphone accepts none of the rates {rates}: {last_error}")

    def stop(self) -> None:
        self._stopped = True
        if self._stream is not None:
            try:
                self._stream.stop()
                self._stream.close()
            except Exception:  # stopping is best effort
                pass
            self._stream = None
        self._queue.put(None)  # wake the reader

    def __iter__(self) -> Iterator[np.ndarray]:
        if self._stream is None and not self._stopped:
            self.start()
        while True:
            chunk = self._queue.get()
            if chunk is None:  # stop(): what was captured before it is still delivered
                break
            yield chunk
        with self._lock:
            self._flushed = True
            tail = self._buffer
            if self._resampler is not None:
                tail = np.concatenate([tail, self._resampler.flush()])
            self._buffer = np.zeros(0, np.float32)
        if tail.size:
            yield tail


def _first_line(exc: BaseException) -> str:
    return (str(exc) or type(exc).__name__).splitlines()[0]
