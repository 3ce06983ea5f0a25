"""Speech files for the API tests: a text long enough for more than one 30 s window, and WAV files encoded by
FFmpeg into other formats."""

from __future__ import annotations

import subprocess
from typing import Optional


def encoded(wav, extension: str, bitrate: Optional[str] = None) -> str:
    """``wav`` encoded by FFmpeg into a file of ``extension`` (mp4: with a video track), at ``bitrate``
    (e.g. "24k") when given."""
    out = f"{wav}.{extension}"
    video = ["-f", "lavfi", "-i", "color=c=black:s=64x64:r=5", "-shortest"] if extension == "mp4" else []
    codec = {"ogg": ["-c:a", "libopus"], "webm": ["-c:a", "libopus"]}.get(extension, [])
    rate = ["-b:a", bitrate] if bitrate else []
    subprocess.run(["ffmpeg", "-y", "-loglevel", "error", "-i", str(wav), *video, *codec, *rate, out], check=True)
    return out


LONG_TEXT = ("The quick brown fox jumps over the lazy dog near the river bank. My favourite season is autumn "
             "because the leaves turn red and gold. We will meet at the train station at nine o'clock tomorrow "
             "morning. Please call Stella and ask her to bring these things with her from the store. The museum "
             "opens at ten and closes early on Sundays, so plan your visit carefully. Fresh bread and green apples "
             "are sold at the market every Thursday afternoon. The children played football in the park until "
             "it started to rain heavily in the evening.")
