import pytest

from whisper_live.protocol import ProtocolError
from whisper_live.rooms.options import room_options


def test_no_room_asked():
    assert room_options({}, ProtocolError) == (None, "", False)


def test_room_speaker_and_public():
    assert room_options({"room": "talk-1", "speaker_name": "  Ann   Lee ", "room_public": True},
                        ProtocolError) == ("talk-1", "Ann Lee", True)


@pytest.mark.parametrize("data", [{"room": "a/b"}, {"room": "../x"}, {"room": 5}, {"room": "x" * 65},
                                  {"room": "r", "speaker_name": 3}, {"room": "r", "speaker_name": "n" * 65}])
def test_refused(data):
    with pytest.raises(ProtocolError):
        room_options(data, ProtocolError)
