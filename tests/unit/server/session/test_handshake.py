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


def test_a_stream_whose_partial_text_nobody_sees_decodes_partial_windows_only_where_they_can_commit():
    from types import SimpleNamespace

    from whisper_live.protocol import ClientOptions
    from whisper_live.server.config import ServerConfig
    from whisper_live.streaming import StreamConfig

    server = SimpleNamespace(config=ServerConfig())
    runner = SimpleNamespace(meter=SimpleNamespace(has_room=lambda: True))
    options = ClientOptions(uid="u", use_vad=False)
    assert handshake.build_stream(server, options, runner).config.partials_from == 0.0
    hidden = handshake.build_stream(server, options, runner, shows_partials=False)
    assert hidden.config.partials_from == StreamConfig.agreement_after
