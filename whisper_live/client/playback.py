"""Playing file audio while it is sent, as WhisperLive's client does; optional and never fatal."""

from __future__ import annotations

import logging
from typing import Optional

import numpy as np

from whisper_live.protocol import SAMPLE_RATE

from .devices import import_sounddevice
from .errors import MicrophoneUnavailable

log = logging.getLogger(__name__)


class Player:
    """Blocking writes to the default output device; use :func:`open_player` to get one."""

    def __init__(self, stream):
        self._stream = stream

    def write(self, chunk: np.ndarray) -> None:
        try:
            self._stream.write(np.ascontiguousarray(chunk, dtype=np.float32).reshape(-1, 1))
        except Exception as exc:  # an output underflow or a vanished device must not stop transcription
            log.debug("playback write failed: %s", exc)

    def close(self) -> None:
        try:
            self._stream.stop()
            self._stream.close()
        except Exception:
            pass


def open_player(notice=print) -> Optional[Player]:
    """A player on the default output device, or None after a one-line ``notice`` saying why not."""
    try:
        sd = import_sounddevice()
    except MicrophoneUnavailable as exc:
        notice(f"audio playback off: {exc}")
        return None
    try:
        sd.query_devices(None, "output")
        stream = sd.OutputStream(samplerate=SAMPLE_RATE, channels=1, dtype="float32")
        stream.start()
    except Exception as exc:  # PortAudioError, ValueError: no usable output device
        notice(f"audio playback off: no audio output device ({(str(exc) or type(exc).__name__).splitlines()[0]})")
        return None
    return Player(stream)
