"""Opus test streams made with PyAV: a talk as raw packets, or muxed into Ogg or WebM as a live recorder does."""

from __future__ import annotations

import av
import numpy as np


class _Pipe:
    """A write-only, unseekable file: FFmpeg's muxers then write as they would to a live stream."""

    def __init__(self):
        self.data = bytearray()

    def write(self, chunk) -> int:
        self.data += chunk
        return len(chunk)

    def seekable(self) -> bool:
        return False


def muxed(samples: np.ndarray, container: str, bitrate_kbps: int = 24, rate: int = 16000) -> bytes:
    """``samples`` (float32 at ``rate``) as Opus in an Ogg or WebM byte stream, written without seeking back
    (unknown Segment and Cluster sizes in WebM, as MediaRecorder writes them)."""
    pipe = _Pipe()
    options = {"live": "1"} if container == "webm" else {}
    with av.open(pipe, "w", format=container, options=options) as out:
        stream = out.add_stream("libopus", rate=48000)
        stream.layout = "mono"
        stream.bit_rate = bitrate_kbps * 1000
        frame = av.AudioFrame.from_ndarray(samples.reshape(1, -1).astype(np.float32), format="flt", layout="mono")
        frame.sample_rate = rate
        resampler = av.AudioResampler(format="s16", layout="mono", rate=48000)
        for piece in resampler.resample(frame) + resampler.resample(None):
            for packet in stream.encode(piece):
                out.mux(packet)
        for packet in stream.encode(None):
            out.mux(packet)
    return bytes(pipe.data)


def slices(data: bytes, seed: int = 0, largest: int = 3000) -> list[bytes]:
    """``data`` cut at random places into pieces of 1 to ``largest`` bytes, as MediaRecorder's timeslices do."""
    rng = np.random.default_rng(seed)
    cuts, position = [], 0
    while position < len(data):
        size = int(rng.integers(1, largest + 1))
        cuts.append(data[position:position + size])
        position += size
    return cuts


def best_correlation(reference: np.ndarray, decoded: np.ndarray, max_shift: int = 1600) -> tuple[float, int]:
    """The highest correlation of ``decoded`` with ``reference`` over shifts of 0 to ``max_shift`` samples
    (a codec delays its output), and that shift."""
    n = min(len(reference), len(decoded) - max_shift)
    ref = reference[:n] - reference[:n].mean()
    best = (-1.0, 0)
    for shift in range(max_shift + 1):
        part = decoded[shift:shift + n]
        part = part - part.mean()
        denominator = float(np.sqrt((ref ** 2).sum() * (part ** 2).sum())) or 1.0
        best = max(best, (float((ref * part).sum()) / denominator, shift))
    return best


def speech_samples(path) -> np.ndarray:
    """A 16 kHz mono file's samples as float32."""
    import soundfile as sf

    samples, rate = sf.read(str(path), dtype="float32")
    assert rate == 16000
    return samples if samples.ndim == 1 else samples.mean(axis=1)
