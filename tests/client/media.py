"""Test media made on the spot with PyAV: tones and speech in several containers, with or without video."""

from __future__ import annotations

from fractions import Fraction
from pathlib import Path

import av
import numpy as np

SHARED_AUDIO = Path(__file__).resolve().parents[3] / "shared" / "audio"


def shared_file(rel: str) -> Path:
    """A file of the shared speech set, or a pytest skip when the set is not there."""
    import pytest

    path = SHARED_AUDIO / rel
    if not path.exists():
        pytest.skip(f"shared speech audio not available ({path})")
    return path


def tone(seconds: float, freq: float = 440.0, rate: int = 16000, amplitude: float = 0.5) -> np.ndarray:
    t = np.arange(int(round(seconds * rate))) / rate
    return (amplitude * np.sin(2 * np.pi * freq * t)).astype(np.float32)


def encode(samples: np.ndarray, path: Path, codec: str, rate: int = 16000, channels: int = 1,
           video: str | None = None) -> Path:
    """Write mono float samples at ``rate`` to ``path`` with an audio ``codec`` (and a small ``video``)."""
    layout = "mono" if channels == 1 else "stereo"
    with av.open(str(path), "w") as out:
        astream = out.add_stream(codec, rate=rate, layout=layout)
        vstream = None
        if video:
            vstream = out.add_stream(video, rate=5)
            vstream.width, vstream.height, vstream.pix_fmt = 64, 48, "yuv420p"
        data = np.tile(samples.reshape(1, -1), (channels, 1)).astype(np.float32)
        step = 1024
        next_video = 0.0
        vindex = 0
        for i in range(0, data.shape[1], step):
            frame = av.AudioFrame.from_ndarray(np.ascontiguousarray(data[:, i:i + step]), format="fltp",
                                               layout=layout)
            frame.sample_rate = rate
            frame.pts = i
            frame.time_base = Fraction(1, rate)
            for packet in astream.encode(frame):
                out.mux(packet)
            while vstream is not None and next_video <= i / rate:
                img = np.full((48, 64, 3), (vindex * 37) % 255, np.uint8)
                vframe = av.VideoFrame.from_ndarray(img, format="rgb24").reformat(format="yuv420p")
                vframe.pts = vindex
                for packet in vstream.encode(vframe):
                    out.mux(packet)
                vindex += 1
                next_video = vindex / 5
        for packet in astream.encode(None):
            out.mux(packet)
        if vstream is not None:
            for packet in vstream.encode(None):
                out.mux(packet)
    return path
