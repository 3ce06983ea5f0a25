"""A final that waits for the model keeps its place in the scheduler's queue while its client goes on
speaking: under saturation, an utterance that ends before the previous one's final was taken must not move
that final to the back of the queue (its wait would start again with every utterance, and one client's
final could wait without bound while the others are served)."""

import numpy as np

from tests.fakes import EnergyVad, ScriptedTranscriber, silence, speech
from tests.unit.session_driver import CHUNK, Clock, make, serve
from whisper_live.protocol import SAMPLE_RATE
from whisper_live.scheduler import Scheduler
from whisper_live.streaming import FINAL, StreamConfig, Stream


def feed(session, clock, audio):
    for i in range(0, len(audio), CHUNK):
        session.add_audio(audio[i:i + CHUNK])
        clock.now += CHUNK / SAMPLE_RATE


def test_a_waiting_final_keeps_its_due_time_when_the_next_utterance_ends():
    session, clock = make()
    feed(session, clock, np.concatenate([silence(0.5), speech([1, 2, 3]), silence(1.0)]))
    first = session.pending()
    assert first.kind == FINAL  # the model is busy: nobody takes it
    feed(session, clock, np.concatenate([speech([4, 5]), silence(1.0)]))
    second = session.pending()
    assert second.kind == FINAL and second.since == first.since
    assert clock.now - second.since > 2.0  # it has waited since the first utterance ended


def test_a_final_taken_before_the_next_utterance_ends_leaves_that_one_its_own_due_time():
    model = ScriptedTranscriber()
    session, clock = make()
    feed(session, clock, np.concatenate([silence(0.5), speech([1, 2, 3]), silence(1.0)]))
    first = session.pending()
    window = session.take_window()  # the model took the first final; it is still running
    feed(session, clock, np.concatenate([speech([4, 5]), silence(1.0)]))
    session.apply(window, model.transcribe_batch([window.request])[0])
    second = session.pending()
    assert second.kind == FINAL and second.since > first.since + 1.0
    serve(session, model)
    assert session.pending() is None


def test_the_scheduler_serves_the_client_whose_final_waited_longest_first():
    # "a" ends an utterance, then "b" does, then "a" another one, while the model is busy
    clock = Clock()
    a, b = (Stream(StreamConfig(), EnergyVad(), clock=clock) for _ in range(2))
    audio_a = np.concatenate([silence(0.5), speech([1, 2, 3]), silence(1.0), speech([4, 5]), silence(1.0)])
    audio_b = np.concatenate([silence(1.5), speech([7, 8]), silence(len(audio_a) / SAMPLE_RATE)])
    for i in range(0, len(audio_a), CHUNK):
        a.add_audio(audio_a[i:i + CHUNK])
        b.add_audio(audio_b[i:i + CHUNK])
        clock.now += CHUNK / SAMPLE_RATE
    assert a.pending().kind == b.pending().kind == FINAL and a.pending().since < b.pending().since
    scheduler = Scheduler(ScriptedTranscriber(max_batch_size=1), workers=1)
    scheduler.add(b)
    scheduler.add(a)
    ((chosen, window, _),) = scheduler.select()
    assert chosen is a and window.kind == FINAL
