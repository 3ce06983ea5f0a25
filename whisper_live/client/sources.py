"""Audio inputs decoded by FFmpeg (through PyAV): files of any container, RTSP and HLS streams.

Every source is an iterable of float32 chunks of 16 kHz mono audio, ``chunk_seconds`` long (the last may
be shorter). Files are finite and can be paced by the caller; streams are live and reconnect when they
drop.
"""

from __future__ import annotations

import logging
import os
import time
from typing import Callable, Iterator, Optional

import av
import numpy as np

from whisper_live.protocol import SAMPLE_RATE

from .errors import AudioSourceError

log = logging.getLogger(__name__)

_AV_ERRORS = (av.FFmpegError, OSError)


def _first_line(exc: BaseException) -> str:
    text = str(exc) or type(exc).__name__
    return text.splitlines()[0]


def _decode(container, chunk_samples: int, skip_until: float = -1.0,
            on_time: Optional[Callable[[float], None]] = None) -> Iterator[np.ndarray]:
    """Decode the first audio stream of an open container into fixed-size 16 kHz mono chunks.

    Only audio packets are demuxed, so the video of a video file is never decoded. Frames that end before
    ``skip_until`` (seconds of stream time) are dropped: used to resume a stream without repeating it.
    """
    if not container.streams.audio:
        raise AudioSourceError(f"{container.name}: no audio stream")
    stream = container.streams.audio[0]
    # Resample with the channels kept, then average them: FFmpeg's own downmix adds the channels at -3 dB
    # each, which makes stereo louder than its channels and clips loud recordings.
    resampler = av.AudioResampler(format="fltp", rate=SAMPLE_RATE)
    pending: list[np.ndarray] = []
    pending_len = 0
    for packet in container.demux(stream):
        try:
            frames = packet.decode()
        except av.InvalidDataError as exc:  # a damaged packet: skip it, as players do
            log.debug("skipping undecodable packet: %s", exc)
            continue
        for frame in frames:
            if frame.time is not None:
                end = frame.time + frame.samples / max(frame.sample_rate, 1)
                if end <= skip_until:
                    continue
                if on_time is not None:
                    on_time(end)
            for out in resampler.resample(frame):
                data = _mono(out)
                pending.append(data)
                pending_len += data.size
            while pending_len >= chunk_samples:
                buf = np.concatenate(pending)
                yield buf[:chunk_samples].astype(np.float32, copy=False)
                rest = buf[chunk_samples:]
                pending, pending_len = ([rest], rest.size) if rest.size else ([], 0)
    for out in resampler.resample(None):
        pending.append(_mono(out))
    if pending:
        buf = np.concatenate(pending).astype(np.float32, copy=False)
        for i in range(0, buf.size, chunk_samples):
            yield buf[i:i + chunk_samples]


def _mono(frame) -> np.ndarray:
    planes = frame.to_ndarray()  # (channels, samples) for a planar format
    return planes[0] if planes.shape[0] == 1 else planes.mean(axis=0, dtype=np.float32)


class FileSource:
    """A local file (or anything FFmpeg opens as a finite input), decoded and resampled to 16 kHz mono."""

    live = False

    def __init__(self, path: str, chunk_seconds: float = 0.1):
        self.path = str(path)
        self.name = self.path
        self.chunk_samples = max(1, int(round(chunk_seconds * SAMPLE_RATE)))
        self.duration: Optional[float] = None
        self._container = None
        self._open()

    def _open(self) -> None:
        if "://" not in self.path and not os.path.exists(self.path):
            raise AudioSourceError(f"{self.path}: no such file")
        try:
            self._container = av.open(self.path, timeout=30)
        except _AV_ERRORS as exc:
            raise AudioSourceError(f"{self.path}: cannot open ({_first_line(exc)})") from None
        if not self._container.streams.audio:
            self._container.close()
            raise AudioSourceError(f"{self.path}: no audio stream")
        stream = self._container.streams.audio[0]
        if stream.duration is not None and stream.time_base is not None:
            self.duration = float(stream.duration * stream.time_base)
        elif self._container.duration is not None:
            self.duration = self._container.duration / 1_000_000

    def __iter__(self) -> Iterator[np.ndarray]:
        if self._container is None:
            self._open()
        try:
            yield from _decode(self._container, self.chunk_samples)
        except _AV_ERRORS as exc:
            raise AudioSourceError(f"{self.path}: decoding failed ({_first_line(exc)})") from None
        finally:
            self.close()

    def close(self) -> None:
        if self._container is not None:
            self._container.close()
            self._container = None


def read_audio(path: str) -> np.ndarray:
    """The whole file as one 16 kHz mono float32 array (tests and small tools)."""
    chunks = list(FileSource(path, chunk_seconds=10.0))
    return np.concatenate(chunks) if chunks else np.zeros(0, np.float32)


class StreamSource:
    """A live network stream (RTSP, HLS, or any URL FFmpeg reads) that reconnects when it drops.

    * An error while reading (connection reset, read timeout) is a drop: the stream is reopened after
      ``reconnect_delay`` seconds, up to ``max_reconnects`` times in a row without audio in between.
    * The end of the stream is final for HLS (the playlist says it has ended); for RTSP it counts as a drop,
      since a camera or relay that goes away looks just like that.
    * HLS is resumed where it dropped (audio already sent is skipped by its timestamps); an RTSP session
      starts from the live point.

    :meth:`stop` (from another thread) ends the iteration at the next chunk.
    """

    live = True

    def __init__(self, url: str, kind: Optional[str] = None, chunk_seconds: float = 0.1,
                 max_reconnects: int = 5, reconnect_delay: float = 2.0, open_timeout: float = 10.0,
                 read_timeout: float = 10.0, rtsp_transport: Optional[str] = "tcp",
                 options: Optional[dict] = None):
        self.url = url
        self.name = url
        self.kind = kind or ("rtsp" if url.lower().startswith(("rtsp://", "rtsps://")) else "hls")
        self.chunk_samples = max(1, int(round(chunk_seconds * SAMPLE_RATE)))
        self.max_reconnects = max_reconnects
        self.reconnect_delay = reconnect_delay
        self.timeout = (open_timeout, read_timeout)
        self.options = dict(options or {})
        if self.kind == "rtsp" and rtsp_transport:
            self.options.setdefault("rtsp_transport", rtsp_transport)
        self.duration = None
        self.reconnects = 0
        self._stopped = False
        self._media_time = -1.0

    def stop(self) -> None:
        self._stopped = True

    def _note_time(self, t: float) -> None:
        self._media_time = max(self._media_time, t)

    def __iter__(self) -> Iterator[np.ndarray]:
        failures = 0
        got_any = False
        last_problem = ""
        while not self._stopped:
            if failures:
                if failures > self.max_reconnects:
                    break
                log.warning("%s: %s; reconnecting (%d/%d) in %g s", self.url, last_problem, failures,
                            self.max_reconnects, self.reconnect_delay)
                self._sleep(self.reconnect_delay)
                if self._stopped:
                    break
                self.reconnects += 1
            try:
                container = av.open(self.url, options=self.options, timeout=self.timeout)
            except _AV_ERRORS as exc:
                failures += 1
                last_problem = f"cannot open ({_first_line(exc)})"
                continue
            ended = False
            try:
                skip = self._media_time if self.kind == "hls" else -1.0
                for chunk in _decode(container, self.chunk_samples, skip_until=skip, on_time=self._note_time):
                    failures = 0
                    got_any = True
                    yield chunk
                    if self._stopped:
                        return
                ended = True
            except AudioSourceError:
                raise
            except _AV_ERRORS as exc:
                last_problem = f"stream dropped ({_first_line(exc)})"
            finally:
                container.close()
            if ended:
                if self.kind != "rtsp":
                    return
                last_problem = "stream ended"
            failures += 1
        if self._stopped:
            return
        if not got_any:
            raise AudioSourceError(f"{self.url}: {last_problem}")
        log.warning("%s: %s; gave up after %d reconnection attempts", self.url, last_problem, self.max_reconnects)

    def _sleep(self, seconds: float) -> None:
        deadline = time.monotonic() + seconds
        while not self._stopped and time.monotonic() < deadline:
            time.sleep(min(0.1, deadline - time.monotonic()))
