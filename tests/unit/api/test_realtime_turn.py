"""A Realtime turn over the streaming core, with the energy VAD and the scripted model: OpenAI's item events
in order, deltas that add up to the completed text, and the client's commit without VAD."""

import numpy as np

from tests.fakes import EnergyVad, ScriptedTranscriber, silence, speech
from whisper_live.api.realtime_turn import RealtimeTurn
from whisper_live.server.session.lifecycle import LiveSession
from whisper_live.streaming import StreamConfig, Stream


def run_model(turn, transcriber):
    while turn.pending() is not None:
        window = turn.take_window()
        turn.deliver(window, transcriber.transcribe_batch([window.request])[0], None)


def make_turn(with_vad=True):
    events, last = [], [None]

    def previous(item_id):
        before, last[0] = last[0], item_id
        return before

    stream = Stream(StreamConfig(language="en"), vad=EnergyVad() if with_vad else None)
    session = LiveSession("s", runner=None, max_connection_time=600)
    return RealtimeTurn(stream, events.append, session, with_vad=with_vad, previous_item=previous), events


def feed(turn, transcriber, audio, step=0.25):
    n = int(step * 16000)
    for i in range(0, len(audio), n):
        turn.add_audio(audio[i:i + n])
        run_model(turn, transcriber)


def test_each_utterance_is_an_item_with_its_events_in_order():
    transcriber = ScriptedTranscriber()
    turn, events = make_turn()
    feed(turn, transcriber, np.concatenate([silence(0.5), speech(range(1, 7)), silence(1.5),
                                            speech(range(7, 10)), silence(1.5)]))
    items = list(dict.fromkeys(e["item_id"] for e in events if "item_id" in e))
    assert len(items) == 2
    for n, item in enumerate(items):
        kinds = [e["type"].rsplit(".", 1)[-1] for e in events if e.get("item_id") == item]
        assert kinds[0] == "speech_started" and kinds[-1] == "completed"
        assert kinds.index("speech_stopped") < kinds.index("committed") < kinds.index("completed")
        assert "delta" in kinds[:kinds.index("completed")]
        deltas = "".join(e["delta"] for e in events if e.get("item_id") == item and e["type"].endswith("delta"))
        completed = [e for e in events if e.get("item_id") == item and e["type"].endswith("completed")][0]
        words = [f"w{k}" for k in (range(1, 7) if n == 0 else range(7, 10))]
        assert completed["transcript"].split() == words and deltas == completed["transcript"]
    committed = [e for e in events if e["type"] == "input_audio_buffer.committed"]
    assert committed[0]["previous_item_id"] is None and committed[1]["previous_item_id"] == items[0]
    started = [e for e in events if e["type"].endswith("speech_started")]
    assert started[0]["audio_start_ms"] < started[1]["audio_start_ms"]


def test_without_vad_the_client_commit_ends_the_one_item():
    transcriber = ScriptedTranscriber()
    turn, events = make_turn(with_vad=False)
    feed(turn, transcriber, np.concatenate([speech(range(1, 5)), silence(0.3)]))
    assert not any(e["type"].endswith("completed") for e in events)
    assert turn.commit()
    run_model(turn, transcriber)
    kinds = [e["type"] for e in events]
    assert "input_audio_buffer.speech_started" not in kinds
    assert kinds.index("input_audio_buffer.committed") < kinds.index(
        "conversation.item.input_audio_transcription.completed")
    completed = [e for e in events if e["type"].endswith("completed")][0]
    assert completed["transcript"].split() == ["w1", "w2", "w3", "w4"] and turn.finished


def test_a_commit_of_nothing_is_refused_and_failures_end_the_turn():
    turn, events = make_turn()
    turn.add_audio(silence(1.0))
    assert not turn.commit()

    turn, events = make_turn()
    feed(turn, ScriptedTranscriber(), np.concatenate([speech(range(1, 5))]))
    for _ in range(3):
        window = turn.take_window() or turn.stream.in_flight
        turn.deliver(window, None, RuntimeError("model broke"))
    assert turn.finished
    assert events[-1]["type"] == "conversation.item.input_audio_transcription.failed"
