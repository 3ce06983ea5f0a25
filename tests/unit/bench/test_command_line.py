"""The load bench's options (whisper_live/bench/command_line.py): the checks between them."""

import pytest

from whisper_live.bench.command_line import parse_args


def test_cli_wants_one_reference_per_audio():
    with pytest.raises(SystemExit):
        parse_args(["--audio", "a.wav", "--audio", "b.wav", "--reference", "x"])
    with pytest.raises(SystemExit):
        parse_args(["--mixed", "--audio", "a.wav"])


def test_cli_refuses_a_remote_host():
    with pytest.raises(SystemExit):
        parse_args(["--host", "192.0.2.1"])


def test_cli_readers_need_a_speaker_and_counts_of_zero_or_more():
    with pytest.raises(SystemExit):
        parse_args(["--clients", "0", "--silent", "1", "--readers", "5"])
    with pytest.raises(SystemExit):
        parse_args(["--readers", "-1"])
    args = parse_args(["--readers", "50", "--stalled-readers", "5"])
    assert (args.readers, args.stalled_readers) == (50, 5)


def test_cli_room_names_the_speakers_room_and_needs_a_speaker_and_a_valid_name():
    args = parse_args(["--clients", "4", "--room", "meeting"])
    assert (args.clients, args.room, args.readers) == (4, "meeting", 0)
    with pytest.raises(SystemExit):
        parse_args(["--clients", "4", "--room", "no spaces"])
    with pytest.raises(SystemExit):
        parse_args(["--clients", "0", "--silent", "1", "--room", "meeting"])
