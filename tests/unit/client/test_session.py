"""The client's session: the URL it connects to (no sockets)."""

from whisper_live.client.session import Session
from whisper_live.protocol import ClientOptions


def test_a_publisher_names_its_room_in_the_url_before_its_uid():
    publisher = Session("ws://example:9090", ClientOptions(uid="u-1", room="hall.2", speaker_name="Ann"))
    assert publisher._room_url() == "ws://example:9090?room=hall.2"
    assert publisher._sticky_url() == "ws://example:9090?room=hall.2&uid=u-1"  # first connection and resumes
    behind = Session("ws://example:9090/?token=k", ClientOptions(uid="u-1", room="hall"))
    assert behind._sticky_url() == "ws://example:9090/?token=k&room=hall&uid=u-1"


def test_a_client_without_a_room_connects_as_before():
    plain = Session("ws://example:9090", ClientOptions(uid="u-1"))
    assert plain._room_url() == "ws://example:9090"
    assert plain._sticky_url() == "ws://example:9090?uid=u-1"
