"""Binary audio frames: the formats a client may send, the ``sample_rate`` option, and a frame's decoding to
float32 samples (server) and encoding (client)."""

from __future__ import annotations

from typing import Any

import numpy as np

from whisper_live.audio import g711
from whisper_live.protocol.errors import ProtocolError

SAMPLE_RATE = 16000
END_OF_AUDIO = b"END_OF_AUDIO"

AUDIO_FORMATS = {"float32": np.dtype("<f4"), "int16": np.dtype("<i2"), "uint8": np.dtype("u1"),
                 "mulaw": np.dtype("u1"), "alaw": np.dtype("u1")}  # mulaw, alaw: G.711, one byte a sample
# Compressed formats (whisper_live.audio.decoder): raw Opus packets, one per binary frame, and Opus in a WebM
# or Ogg byte stream cut into frames anywhere (MediaRecorder's slices).
COMPRESSED_FORMATS = ("opus", "webm", "ogg")
WIRE_FORMATS = (*AUDIO_FORMATS, *COMPRESSED_FORMATS)
# The rates a client may send at (``sample_rate``, Hz); the server resamples to SAMPLE_RATE.
MIN_SAMPLE_RATE, MAX_SAMPLE_RATE = 8000, 48000

# One binary frame may carry at most this much audio (seconds); larger frames are refused.
MAX_FRAME_SECONDS = 10.0


def parse_sample_rate(value: Any) -> int:
    """The ``sample_rate`` option: a whole number of Hz in the accepted range."""
    if isinstance(value, bool) or not isinstance(value, (int, float)) or value != int(value) \
            or not MIN_SAMPLE_RATE <= value <= MAX_SAMPLE_RATE:
        raise ProtocolError(f"sample_rate must be a whole number of Hz from {MIN_SAMPLE_RATE} to "
                            f"{MAX_SAMPLE_RATE} (e.g. 8000, 16000, 48000), not {value!r}")
    return int(value)



def decode_audio_frame(data: bytes, audio_format: str = "float32", sample_rate: int = SAMPLE_RATE,
                       max_seconds: float = MAX_FRAME_SECONDS) -> np.ndarray:
    """Turn one binary frame into float32 samples in [-1, 1] at ``sample_rate`` (not resampled: the
    per-session :class:`~whisper_live.audio.decoder.AudioDecoder` does that); raises :class:`ProtocolError`
    on bad input, and on a frame longer than ``max_seconds`` of audio."""
    dtype = AUDIO_FORMATS[audio_format]
    if len(data) % dtype.itemsize:
        raise ProtocolError(
            f"audio frame of {len(data)} bytes is not a whole number of {audio_format} samples "
            f"({dtype.itemsize} bytes each)"
        )
    if len(data) > int(max_seconds * sample_rate) * dtype.itemsize:
        raise ProtocolError(
            f"audio frame of {len(data)} bytes ({len(data) / dtype.itemsize / sample_rate:.2f} s of "
            f"{audio_format} at {sample_rate} Hz) is longer than {max_seconds:g} s; send smaller frames"
        )
    samples = np.frombuffer(data, dtype=dtype)
    if audio_format == "float32":
        if not np.isfinite(samples).all():
            raise ProtocolError("audio frame holds NaN or infinite samples")
        return np.clip(samples, -1.0, 1.0).astype(np.float32, copy=False)
    if audio_format == "int16":
        return samples.astype(np.float32) / 32768.0
    if audio_format == "mulaw":
        return g711.mulaw_decode(samples).astype(np.float32) / 32768.0
    if audio_format == "alaw":
        return g711.alaw_decode(samples).astype(np.float32) / 32768.0
    return (samples.astype(np.float32) - 128.0) / 128.0


def encode_audio_frame(samples: np.ndarray, audio_format: str = "float32") -> bytes:
    """The client-side inverse of :func:`decode_audio_frame` for float samples in [-1, 1] (no resampling:
    :class:`~whisper_live.audio.encoder.AudioEncoder` does that)."""
    samples = np.asarray(samples, dtype=np.float32)
    if audio_format == "float32":
        return samples.astype("<f4").tobytes()
    clipped = np.clip(samples, -1.0, 1.0)
    if audio_format == "int16":
        return (clipped * 32767.0).round().astype("<i2").tobytes()
    if audio_format == "uint8":
        return (clipped * 127.0 + 128.0).round().astype("u1").tobytes()
    if audio_format in ("mulaw", "alaw"):
        pcm = (clipped * 32767.0).round().astype(np.int16)
        return (g711.mulaw_encode(pcm) if audio_format == "mulaw" else g711.alaw_encode(pcm)).tobytes()
    raise ProtocolError(f"unknown audio_format {audio_format!r}")

