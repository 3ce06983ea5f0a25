from types import SimpleNamespace

from whisper_live import protocol
from whisper_live.rooms import RoomRegistry, publishing
from whisper_live.server.config import ServerConfig


def socket_to(host):
    return SimpleNamespace(request=SimpleNamespace(headers={"Host": host}))


def test_reader_addresses_are_absolute_on_the_api_port_of_the_host_the_client_reached():
    config = ServerConfig(rest_port=8000)
    assert publishing.reader_base(config, socket_to("captions.example.org:9090")) == \
        "http://captions.example.org:8000"
    assert publishing.reader_base(config, socket_to("[::1]:9090")) == "http://[::1]:8000"
    assert publishing.reader_base(ServerConfig(rest_port=8000, ssl_certfile="c.pem"), socket_to("h")) == \
        "https://h:8000"


def test_public_url_wins_and_without_the_api_there_is_no_reader_address():
    assert publishing.reader_base(ServerConfig(rest_port=8000, public_url="https://cap.example/"),
                                  socket_to("h:9090")) == "https://cap.example"
    assert publishing.reader_base(ServerConfig(), socket_to("h:9090")) is None


def test_a_private_rooms_addresses_carry_its_reader_token():
    fields = publishing.addresses("https://h:8000", "talk", "tok-en")
    assert fields == {"room": "talk", "room_public": False,
                      "room_events": "https://h:8000/v1/rooms/talk/events?token=tok-en",
                      "room_watch": "wss://h:8000/v1/rooms/talk/watch?token=tok-en",
                      "room_transcript": "https://h:8000/v1/rooms/talk/transcript?token=tok-en",
                      "room_page": "https://h:8000/captions/talk?token=tok-en"}
    assert publishing.addresses("http://h:8000", "talk", None)["room_watch"] == "ws://h:8000/v1/rooms/talk/watch"


def test_join_puts_the_client_in_its_room_or_warns_when_rooms_cannot_be_read():
    rooms = RoomRegistry()
    try:
        server = SimpleNamespace(config=ServerConfig(rest_port=8000), rooms=rooms)
        client = SimpleNamespace(options=protocol.ClientOptions(room="talk", speaker_name="Ann"), room=None)
        fields, warning = publishing.join(server, client, socket_to("h:9090"))
        assert warning is None and fields["room_events"].endswith(f"?token={client.room.reader_token}")
        assert client.room.publisher.speaker == "Ann"
        plain = SimpleNamespace(options=protocol.ClientOptions(), room=None)
        assert publishing.join(server, plain, socket_to("h")) == (None, None) and plain.room is None
        server.config = ServerConfig()
        lone = SimpleNamespace(options=protocol.ClientOptions(room="talk"), room=None)
        fields, warning = publishing.join(server, lone, socket_to("h"))
        assert fields is None and "--enable_rest" in warning and lone.room is None
    finally:
        rooms.stop()
