"""The Realtime transcription WebSocket with the real model (tiny.en) over a real WebSocket: the official
openai client with server VAD, the client's own commits without VAD, and each bad event."""

from __future__ import annotations

import base64
import contextlib
import json
import threading
import time

import numpy as np
import pytest
from websockets.sync.client import connect

from tests.api.conftest import openai_client
from whisper_live.wer import wer

FIRST = "Please call Stella and ask her to bring these things with her from the store."
SECOND = "We will meet at the train station at nine o'clock tomorrow morning."
RATE = 24000
CHUNK = 2400  # 0.1 s


def pcm16(espeak, text: str, silence_after: float = 1.5) -> bytes:
    """``text`` spoken, at 24 kHz pcm16 (the Realtime API's default input), with silence after it."""
    from faster_whisper.audio import decode_audio

    audio = decode_audio(str(espeak(text)), sampling_rate=RATE)
    audio = np.concatenate([np.zeros(RATE // 4, np.float32), audio, np.zeros(int(silence_after * RATE), np.float32)])
    return (np.clip(audio, -1, 1) * 32767).astype("<i2").tobytes()


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


def test_server_vad_session_with_the_openai_client(api_server, espeak):
    audio = pcm16(espeak, FIRST) + pcm16(espeak, SECOND)
    events = []
    with openai_client(api_server).realtime.connect(extra_query={"intent": "transcription"}) as connection:
        connection.session.update(session={"type": "transcription", "audio": {"input": {
            "transcription": {"model": "whisper-1", "language": "en"}, "turn_detection": {"type": "server_vad"}}}})

        def speak():  # at real-time pace, 0.1 s at a time
            for i in range(0, len(audio), 2 * CHUNK):
                connection.input_audio_buffer.append(audio=b64(audio[i:i + 2 * CHUNK]))
                time.sleep(CHUNK / RATE)

        speaker = threading.Thread(target=speak)
        speaker.start()
        deadline = time.monotonic() + 120
        for event in connection:
            events.append(event)
            if sum(e.type.endswith("transcription.completed") for e in events) == 2 or time.monotonic() > deadline:
                break
        speaker.join()
    kinds = [e.type for e in events]
    assert kinds[:2] == ["session.created", "session.updated"]
    completed = [e for e in events if e.type == "conversation.item.input_audio_transcription.completed"]
    assert len(completed) == 2, kinds
    for item in completed:
        mine = [e for e in events if getattr(e, "item_id", None) == item.item_id]
        order = [e.type.rsplit(".", 1)[-1] for e in mine]
        assert order[0] == "speech_started" and order[-1] == "completed", order
        assert order.index("speech_stopped") < order.index("committed") < order.index("completed")
        # partial text comes before the speech has ended, and the completed text is final
        assert "delta" in order[:order.index("speech_stopped")], order
    assert wer(f"{FIRST} {SECOND}", " ".join(e.transcript for e in completed)) <= 0.3, completed


@contextlib.contextmanager
def realtime(api_server):
    with connect(api_server.realtime_url, max_size=None, open_timeout=30) as ws:
        assert json.loads(ws.recv(timeout=30))["type"] == "session.created"
        yield ws


def next_event(ws, kind: str, timeout: float = 120.0) -> dict:
    deadline = time.monotonic() + timeout
    while True:
        event = json.loads(ws.recv(timeout=max(0.1, deadline - time.monotonic())))
        if event["type"] == kind:
            return event


def test_without_vad_the_client_commits(api_server, espeak):
    with realtime(api_server) as ws:
        ws.send(json.dumps({"type": "transcription_session.update", "session": {
            "input_audio_format": "pcm16", "input_audio_transcription": {"model": "tiny.en"},
            "turn_detection": None}}))
        assert next_event(ws, "transcription_session.updated")["session"]["turn_detection"] is None
        audio = pcm16(espeak, FIRST, silence_after=0.5)
        for i in range(0, len(audio), 20 * CHUNK):  # faster than real time, within the bound
            ws.send(json.dumps({"type": "input_audio_buffer.append", "audio": b64(audio[i:i + 20 * CHUNK])}))
        ws.send(json.dumps({"type": "input_audio_buffer.commit"}))
        committed = next_event(ws, "input_audio_buffer.committed")
        completed = next_event(ws, "conversation.item.input_audio_transcription.completed")
        assert completed["item_id"] == committed["item_id"]
        assert wer(FIRST, completed["transcript"]) <= 0.3, completed["transcript"]


@pytest.mark.parametrize("message, code", [
    ("this is not json", "invalid_json"),
    (json.dumps({"type": "response.create"}), "unknown_event"),
    (json.dumps({"type": "input_audio_buffer.append", "audio": "***"}), "invalid_value"),
    (json.dumps({"type": "session.update", "session": {"audio": {"input": {"format": {"type": "audio/pcmu"}}}}}),
     "unsupported_format"),
    (json.dumps({"type": "session.update", "session": {"type": "transcription", "audio": {"input": {
        "transcription": {"model": "gpt-4o-transcribe"}}}}}), "model_not_found"),
    (json.dumps({"type": "session.update", "session": {"type": "transcription", "audio": {"input": {
        "transcription": {"model": "whisper-1", "language": "xx"}}}}}), "invalid_language"),
    (json.dumps({"type": "session.update", "session": {"type": "transcription", "audio": {"input": {
        "transcription": {"model": "whisper-1", "language": "fr"}}}}}), "model_not_multilingual"),
    (json.dumps({"type": "input_audio_buffer.commit"}), "input_audio_buffer_commit_empty"),
])
def test_a_bad_event_gets_an_error_event_and_the_session_goes_on(api_server, message, code):
    with realtime(api_server) as ws:
        ws.send(message)
        error = next_event(ws, "error", timeout=30)["error"]
        assert error["code"] == code and error["message"] and error["type"] == "invalid_request_error"
        ws.send(json.dumps({"type": "input_audio_buffer.clear"}))
        assert next_event(ws, "input_audio_buffer.cleared", timeout=30)


def test_audio_far_ahead_of_real_time_is_refused(api_server, espeak):
    with realtime(api_server) as ws:
        minute = b"\0\0" * RATE * 60
        ws.send(json.dumps({"type": "input_audio_buffer.append", "audio": b64(minute)}))
        error = next_event(ws, "error", timeout=30)["error"]
        assert error["code"] == "audio_too_fast"
        # what fits the bound is still taken and transcribed
        ws.send(json.dumps({"type": "input_audio_buffer.append", "audio": b64(pcm16(espeak, SECOND))}))
        completed = next_event(ws, "conversation.item.input_audio_transcription.completed")
        assert wer(SECOND, completed["transcript"]) <= 0.3, completed["transcript"]
