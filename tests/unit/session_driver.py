"""Driving a Stream in tests: a settable clock, real-time-sized chunks, a model served in between."""

import numpy as np

from tests.fakes import EnergyVad, silence, speech, words_of
from whisper_live.protocol import SAMPLE_RATE
from whisper_live.streaming import StreamConfig, Stream

CHUNK = 4096


class Clock:
    def __init__(self):
        self.now = 0.0

    def __call__(self):
        return self.now


def make(use_vad=True, has_room=lambda: True, **config):
    clock = Clock()
    stream = Stream(StreamConfig(**config), EnergyVad() if use_vad else None, clock=clock, has_room=has_room)
    return stream, clock


def stream(stream, clock, audio, model, serve_every=1, end=True):
    """Feed audio to ``stream`` in real-time-sized chunks, serving the model every `serve_every` chunks."""
    updates = []
    for n, i in enumerate(range(0, len(audio), CHUNK)):
        stream.add_audio(audio[i:i + CHUNK])
        clock.now += CHUNK / SAMPLE_RATE
        if n % serve_every == 0:
            updates += serve(stream, model)
    if end:
        stream.end_of_audio()
        updates += serve(stream, model)
    return updates


def serve(stream, model):
    updates = []
    while True:
        window = stream.take_window()
        if window is None:
            return updates
        updates.append((window, stream.apply(window, model.transcribe_batch([window.request])[0])))


def committed_words(stream):
    return words_of(stream.completed)


def phrases_without_an_end():
    """Ten phrases of 6 words, 0.25 s apart: pauses too short to end the utterance, where agreement can cut."""
    return np.concatenate([silence(0.5)] + [np.concatenate([speech(list(range(i, i + 6))), silence(0.25)])
                                            for i in range(0, 60, 6)] + [silence(1.0)])
