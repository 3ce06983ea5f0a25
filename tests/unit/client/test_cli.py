"""The client's speaker flags (whisper_live/client/cli.py): what they ask the server for."""

import json

import pytest

from whisper_live.client import client as client_module
from whisper_live.client.cli import build_parser, main


@pytest.fixture
def sent(monkeypatch):
    """The options frame each run of the CLI would send (the run itself stops there)."""
    frames = []

    def record(self, *args, **kwargs):
        frames.append(json.loads(self.client.options.to_message()))
        return self.client.transcript

    monkeypatch.setattr(client_module.TranscriptionClient, "__call__", record)
    return frames


def test_diarize_asks_for_speakers_and_nothing_else(sent):
    assert main(["-q", "-f", "talk.wav", "--diarize"]) == 0
    [frame] = sent
    assert frame["enable_diarization"] is True
    assert not {"max_speakers", "speaker_names", "diarization_threshold"} & frame.keys()


def test_names_and_a_maximum_imply_diarize_and_are_sent(sent):
    assert main(["-q", "-f", "talk.wav", "--speaker_names", "Ann, Bob", "--max_speakers", "2",
                 "--diarization_threshold", "0.4"]) == 0
    [frame] = sent
    assert frame["enable_diarization"] is True
    assert (frame["speaker_names"], frame["max_speakers"], frame["diarization_threshold"]) == (["Ann", "Bob"], 2, 0.4)


def test_without_diarize_no_speakers_are_asked_for(sent):
    assert main(["-q", "-f", "talk.wav"]) == 0
    assert "enable_diarization" not in sent[0]


@pytest.mark.parametrize("flags", [["--max_speakers", "0"], ["--max_speakers", "two"], ["--speaker_names", "Ann,,Bob"]])
def test_bad_speaker_flags_are_refused(flags, capsys):
    with pytest.raises(SystemExit) as exit_:
        build_parser().parse_args(flags)
    assert exit_.value.code == 2
