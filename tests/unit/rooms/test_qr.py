"""Which links a room's QR code may hold, and the SVG segno draws (no server)."""

from whisper_live.rooms import qr

HOSTS = {"captions.example.org", "127.0.0.1:8000"}


def test_the_caption_page_of_the_room_on_this_server_with_its_options():
    assert qr.caption_link("http://127.0.0.1:8000/captions/hall", "hall", HOSTS) == {}
    assert qr.caption_link("https://captions.example.org/captions/hall?token=t&lines=2&transparent=1", "hall",
                           HOSTS) == {"token": "t", "lines": "2", "transparent": "1"}


def test_any_other_link_is_refused():
    for link in ("http://127.0.0.1:8001/captions/hall",  # another port
                 "http://other.example/captions/hall",  # another host
                 "http://user@127.0.0.1:8000/captions/hall",  # credentials
                 "ftp://127.0.0.1:8000/captions/hall",  # another scheme
                 "http://127.0.0.1:8000/captions/hall2",  # another room
                 "http://127.0.0.1:8000/captions/hall/",
                 "http://127.0.0.1:8000/v1/rooms/hall/events",  # not the page
                 "http://127.0.0.1:8000/captions/hall#x",
                 "http://127.0.0.1:8000/captions/hall?redirect=https://evil.example",  # not a page option
                 "http://127.0.0.1:8000/captions/hall?token=a&token=b",
                 "http://127.0.0.1:notaport/captions/hall",
                 "http://127.0.0.1:8000/captions/hall?size=" + "9" * 2000):
        assert qr.caption_link(link, "hall", HOSTS) is None, link


def test_the_svg_is_a_qr_code_document():
    drawn = qr.svg("http://127.0.0.1:8000/captions/hall").decode()
    assert drawn.startswith("<?xml") and "<svg" in drawn and "Reader link" in drawn
