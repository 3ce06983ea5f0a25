"""Driving a Stream in tests: a settable clock, real-time-sized chunks, a model served in between."""

from tests.fakes import Clock, EnergyVad, words_of
from whisper_live.protocol import SAMPLE_RATE
from whisper_live.streaming import StreamConfig, Stream

CHUNK = 4096


def make(use_vad=True, has_room=lambda: True, **config):
    clock = Clock()
    session = Stream(StreamConfig(**config), EnergyVad() if use_vad else None, clock=clock,
                               has_room=has_room)
    return session, clock


def stream(session, clock, audio, model, serve_every=1, end=True):
    """Feed audio in real-time-sized chunks, serving the model every `serve_every` chunks."""
    updates = []
    for n, i in enumerate(range(0, len(audio), CHUNK)):
        session.add_audio(audio[i:i + CHUNK])
        clock.now += CHUNK / SAMPLE_RATE
        if n % serve_every == 0:
            updates += serve(session, model)
    if end:
        session.end_of_audio()
        updates += serve(session, model)
    return updates


def serve(session, model):
    updates = []
    while True:
        window = session.take_window()
        if window is None:
            return updates
        updates.append((window, session.apply(window, model.transcribe_batch([window.request])[0])))


def committed_words(session):
    return words_of(session.completed)
