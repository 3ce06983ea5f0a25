"""A connection's first steps (whisper_live/server/session/handshake.py): reading its options."""

import pytest

from whisper_live.server.session import handshake


class SilentSocket:
    """A connection that sends nothing: ``recv`` times out at once, recording the timeout it was given."""

    def __init__(self):
        self.timeouts = []

    def recv(self, timeout=None):
        self.timeouts.append(timeout)
        raise TimeoutError


def test_a_connection_that_sends_no_options_within_the_timeout_is_refused_with_1008():
    socket = SilentSocket()
    with pytest.raises(handshake.Refused) as refused:
        handshake.read_options(socket, draining=False, timeout=2.5)
    assert socket.timeouts == [2.5]
    assert (refused.value.reply, refused.value.code, refused.value.reason) == (None, 1008, "no options received")
