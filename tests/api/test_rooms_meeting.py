"""A meeting on the real server (tiny.en): four people, each on their own microphone with their name, publish
into one room at once (recorded speech of four LibriSpeech speakers from ../shared/audio, skipped where it is
absent); the room's transcript holds every completed segment of each, in time order, under their names."""

import threading
import time

import httpx
import numpy as np
import pytest
import soundfile as sf

from tests.conftest import SHARED_AUDIO, shared_manifest
from tests.ws_session import load_audio
from whisper_live.client import TranscriptionClient
from whisper_live.wer import wer

# name -> a clip of a different LibriSpeech speaker each (5 to 11 s)
PEOPLE = {
    "Ann": "en/librispeech/1089-134686-0000.flac",
    "Bob": "en/librispeech/1221-135766-0002.flac",
    "Cho": "en/librispeech/1995-1837-0001.flac",
    "Dev": "en/librispeech/1272-128104-0000.flac",
}
STAGGER = 1.5  # s between two people starting to speak: they talk over each other


def test_four_named_publishers_one_room_transcript_in_time_order(api_server, tmp_path):
    rows = {row["file"]: row for row in shared_manifest()}
    if not all(clip in rows for clip in PEOPLE.values()):
        pytest.skip("the LibriSpeech clips of this test are missing from ../shared/audio")
    references = {name: rows[clip]["reference_transcript"] for name, clip in PEOPLE.items()}
    files = {}
    for name, clip in PEOPLE.items():  # 16 kHz mono WAV, with a second of silence after the speech
        files[name] = tmp_path / f"{name}.wav"
        sf.write(files[name], np.concatenate([load_audio(SHARED_AUDIO / clip), np.zeros(16000, np.float32)]), 16000)

    outcomes, notices = {}, []

    def publish(name, delay):
        time.sleep(delay)
        client = TranscriptionClient(api_server.host, api_server.port, lang="en", log_transcription=False,
                                     show_progress=False, speed=1.0, room="standup", speaker_name=name,
                                     notice=notices.append)
        outcomes[name] = client(str(files[name]))

    people = [threading.Thread(target=publish, args=(name, i * STAGGER)) for i, name in enumerate(PEOPLE)]
    for thread in people:
        thread.start()
    for thread in people:
        thread.join(300)
    assert set(outcomes) == set(PEOPLE)

    # the room is private: its transcript needs the reader token from a publisher's SERVER_READY
    base = f"http://{api_server.host}:{api_server.rest_port}/v1/rooms/standup/transcript"
    assert httpx.get(f"{base}?format=json").status_code in (401, 403, 404)
    links = [notice.split("captions at ", 1)[1] for notice in notices if "captions at " in notice]
    assert len(links) == len(PEOPLE) and "?token=" in links[0], notices
    token = links[0].split("?token=", 1)[1]
    lines = httpx.get(base, params={"format": "json", "token": token}).json()["lines"]

    assert {line["speaker"] for line in lines} == set(PEOPLE)
    starts = [line["start"] for line in lines]
    assert starts == sorted(starts)
    for name in PEOPLE:
        own = [s.text.strip() for s in outcomes[name].completed if s.text.strip()]
        theirs = [line["text"] for line in lines if line["speaker"] == name]
        assert own and theirs == own, name
        # and it is that person's speech under that person's name
        said = " ".join(theirs)
        errors = {other: wer(reference, said) for other, reference in references.items()}
        assert min(errors, key=errors.get) == name and errors[name] <= 0.35, (name, errors)
    text = httpx.get(base, params={"format": "txt", "token": token}).text
    assert text.splitlines() == [f"{line['speaker']}: {line['text']}" for line in lines]
