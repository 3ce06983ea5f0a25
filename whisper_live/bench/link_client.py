"""A live client on a throttled link (bench/throttled_link.py), run inside the link's network namespace: it
streams a file as a microphone would (audio captured at real time, queued while the link is busy) and
prints, as JSON, when each completed segment arrived after its audio was captured, the bitrates it sent at
and how much captured audio waited for the link.

``python -m whisper_live.bench.link_client URL FILE SECONDS CODEC BITRATE`` (CODEC ``opus`` or ``pcm``;
BITRATE in kbit/s, or ``auto`` for the adaptive bitrate)
"""

from __future__ import annotations

import json
import socket
import sys
import time
import urllib.parse

import numpy as np


def wait_for_server(url: str, timeout: float = 180.0) -> None:
    parts = urllib.parse.urlsplit(url)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with socket.create_connection((parts.hostname, parts.port), timeout=1.0):
                return
        except OSError:
            time.sleep(0.5)
    raise SystemExit(f"no server at {url} within {timeout:g} s")


def backlog_seconds(client, captured: float, kbps: int) -> float:
    """Seconds of captured audio the server has not received yet, after a chunk was sent: what waits for
    the link (captured but not sent yet, as a blocked send keeps it), and what the socket holds unacknowledged
    (at the bitrate it was encoded at). The link's share of a transcript's lag."""
    waiting = max(0.0, time.monotonic() - captured)
    unsent = client.session.unsent_bytes() if client.session is not None else None
    return waiting + (unsent or 0) / (kbps * 1000 / 8)


def main(url: str, path: str, seconds: float, codec: str, bitrate: str) -> dict:
    from whisper_live.bench.audio import load_audio
    from whisper_live.client import StreamingTranscriptionClient

    audio = load_audio(path)[:int(seconds * 16000)]
    wait_for_server(url)
    parts = urllib.parse.urlsplit(url)
    arrivals, drops = [], []
    client = StreamingTranscriptionClient(
        parts.hostname, parts.port, lang="en", audio_format="int16" if codec == "pcm" else "float32",
        codec=None if codec == "pcm" else codec, bitrate=bitrate if bitrate == "auto" else int(bitrate),
        on_committed=lambda segment: arrivals.append((segment.end, time.monotonic())),
        on_reconnecting=lambda: drops.append(time.monotonic()))
    client.start()
    start = time.monotonic()
    bitrates, backlogs, chunk = [], [], 1600
    for i in range(0, len(audio), chunk):
        captured = start + (i + chunk) / 16000
        time.sleep(max(0.0, captured - time.monotonic()))
        piece = audio[i:i + chunk]
        client.send((piece * 32767).astype(np.int16) if codec == "pcm" else piece)
        kbps = client.link.encoder.bitrate_kbps if client.link is not None else 256  # int16 at 16 kHz
        bitrates.append(kbps)
        backlogs.append(backlog_seconds(client, captured, kbps))
    behind = time.monotonic() - (start + len(audio) / 16000)  # how far sending fell behind capture
    finished = codec != "pcm"
    if finished:
        client.finish(timeout=60)
    else:
        client.close()  # PCM: no point waiting for the queue to drain
    latencies = [t - (start + end) for end, t in arrivals]
    return {"codec": codec, "latencies": latencies, "send_behind_s": behind, "bitrates": bitrates, "backlogs": backlogs, "drops": len(drops),
            "drop_times": [t - start for t in drops],
            "transcribed_until": max((end for end, _ in arrivals), default=0.0),
            "text": " ".join(s.text for s in client.transcript.completed)}


if __name__ == "__main__":
    url, path, seconds, codec, bitrate = sys.argv[1:6]
    print(json.dumps(main(url, path, float(seconds), codec, bitrate)))
