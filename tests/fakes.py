"""Test doubles for the streaming core and the runners: an energy VAD, a scripted transcriber, and clients.

Synthetic "speech" is a sequence of words, each a block of constant amplitude: word k is
``WORD_SECONDS`` of the value ``level(k)``. The fake transcriber reads the blocks back from a window, so a
test knows exactly which words a window holds and can check that none is lost or repeated.
"""

from __future__ import annotations

import threading
import time

import numpy as np

from whisper_live.protocol import SAMPLE_RATE, Word
from whisper_live.streaming import Stream, StreamConfig, Window
from whisper_live.transcriber.base import RawSegment, Request, Result, Transcriber

WORD_SECONDS = 0.4
GAP_SECONDS = 0.1  # between words of one sentence


def level(k: int) -> float:
    return 0.05 + 0.005 * (k % 150)


def speech(words: list[int], gap: float = GAP_SECONDS) -> np.ndarray:
    pieces = []
    for k in words:
        pieces.append(np.full(int(WORD_SECONDS * SAMPLE_RATE), level(k), dtype=np.float32))
        pieces.append(np.zeros(int(gap * SAMPLE_RATE), dtype=np.float32))
    return np.concatenate(pieces)


def silence(seconds: float) -> np.ndarray:
    return np.zeros(int(seconds * SAMPLE_RATE), dtype=np.float32)


class EnergyVad:
    """Speech probability 1 for frames with energy, 0 otherwise."""

    frame_samples = 512

    def __init__(self):
        self._rest = np.zeros(0, dtype=np.float32)

    def feed(self, audio):
        samples = np.concatenate([self._rest, np.asarray(audio, dtype=np.float32)])
        n = len(samples) // self.frame_samples
        self._rest = samples[n * self.frame_samples:]
        frames = samples[: n * self.frame_samples].reshape(n, self.frame_samples)
        return (np.abs(frames).max(axis=1) > 0.01).astype(np.float32)


def read_words(audio: np.ndarray) -> list[tuple[int, float, float, bool]]:
    """(word id, start s, end s, complete) for each block in the audio."""
    found = []
    active = np.abs(audio) > 0.01
    i, n = 0, len(audio)
    while i < n:
        if not active[i]:
            i += 1
            continue
        j = i
        while j < n and active[j]:
            j += 1
        value = float(np.median(audio[i:j]))
        k = int(round((value - 0.05) / 0.005))
        complete = (j - i) >= int(WORD_SECONDS * SAMPLE_RATE) - 1
        found.append((k, i / SAMPLE_RATE, j / SAMPLE_RATE, complete))
        i = j
    return found


class ScriptedTranscriber(Transcriber):
    """Turns blocks into text "wK"; a word cut by the window's end reads "wK~" (an unstable guess).

    Words closer than 0.3 s form one segment, as Whisper tends to split at pauses.
    """

    backend = "fake"
    model_name = "fake"

    def __init__(self, max_batch_size: int = 4, delay: float = 0.0, language=None, multilingual=False,
                 edit=None):
        self.max_batch_size = max_batch_size
        self.edit = edit  # edit(result, request): a test's change to each answer (timestamps off, no words...)
        self.max_concurrency = 4
        self.delay = delay
        self.calls: list[list[Request]] = []
        self.detect = language
        self.multilingual = multilingual
        self._lock = threading.Lock()

    def transcribe_batch(self, requests):
        with self._lock:
            self.calls.append(list(requests))
        if self.delay:
            time.sleep(self.delay)
        results = []
        for r in requests:
            # like Whisper given a start time, nothing before ``decode_from`` is written down
            words = [w for w in read_words(r.audio) if w[1] >= r.decode_from]
            segments, current = [], []
            for k, start, end, complete in words:
                if current and start - current[-1][2] > 0.3:
                    segments.append(current)
                    current = []
                current.append((k, start, end, complete))
            if current:
                segments.append(current)
            out = []
            for seg in segments:
                names = [f" w{k}" + ("" if complete else "~") for k, _, _, complete in seg]
                words = [Word(start, end, name, 1.0) for name, (_, start, end, _) in zip(names, seg)] \
                    if r.word_timestamps else None
                out.append(RawSegment(start=seg[0][1], end=seg[-1][2], text="".join(names), words=words))
            result = Result(segments=out)
            if r.language is None and self.detect:
                result.language, result.language_prob = self.detect, 0.9
            if self.edit is not None:
                self.edit(result, r)
            results.append(result)
        return results


def words_of(segments) -> list[str]:
    return [w for s in segments for w in s.text.split()]


class FakeClient:
    """A runner's client with a fixed piece of pending work (kind, since, samples); records what it was given."""

    def __init__(self, name, kind=None, since=0.0, samples=16000):
        self.name, self.kind, self.since, self.samples = name, kind, since, samples
        self.in_flight = None
        self.delivered = []

    def pending(self):
        if self.kind is None or self.in_flight is not None:
            return None
        return self.kind, self.since, self.samples / SAMPLE_RATE

    def take_window(self, rung=None):
        self.rung = rung
        if self.pending() is None:
            return None
        self.in_flight = Window(self.kind, 0, self.samples, Request(np.zeros(self.samples, np.float32)))
        return self.in_flight

    def deliver(self, window, result, error):
        self.in_flight = None
        self.kind = None
        self.delivered.append((window, result, error))

    def __repr__(self):
        return self.name


class SessionClient:
    """A real Stream behind the runner's client interface, like the server's ServeClient."""

    def __init__(self, clock=time.monotonic):
        self.stream = Stream(StreamConfig(), EnergyVad(), clock=clock)
        self.lock = threading.Lock()

    def pending(self):
        with self.lock:
            return self.stream.pending()

    def take_window(self, rung=None):
        with self.lock:
            return self.stream.take_window(rung)

    def deliver(self, window, result, error):
        with self.lock:
            if error:
                self.stream.cancel(window)
            else:
                self.stream.apply(window, result)

    def feed(self, audio):
        with self.lock:
            self.stream.add_audio(audio)
