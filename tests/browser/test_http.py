"""whisper_live.web.http: the page and its assets over plain HTTP on the WebSocket port, upgrades untouched."""

import http.client
import json

import pytest
from websockets.sync.client import connect

from whisper_live.web import STATIC_DIR
from whisper_live.web.http import resolve_static

from .fake_server import FakeServer


@pytest.fixture(scope="module")
def server():
    with FakeServer() as srv:
        yield srv


def get(server, path, headers=None):
    conn = http.client.HTTPConnection(server.host, server.port, timeout=10)
    # skip_accept_encoding etc. are irrelevant; send the raw target so traversal attempts reach the server as is
    conn.putrequest("GET", path, skip_host=False, skip_accept_encoding=True)
    for name, value in (headers or {}).items():
        conn.putheader(name, value)
    conn.endheaders()
    resp = conn.getresponse()
    body = resp.read()
    conn.close()
    return resp, body


def test_root_serves_the_page(server):
    resp, body = get(server, "/")
    assert resp.status == 200
    assert resp.getheader("Content-Type") == "text/html; charset=utf-8"
    assert int(resp.getheader("Content-Length")) == len(body)
    assert body == (STATIC_DIR / "index.html").read_bytes()
    assert b'<script type="module" src="app.js">' in body
    assert "connect-src 'self' ws: wss:" in resp.getheader("Content-Security-Policy")


@pytest.mark.parametrize(
    "path, ctype",
    [
        ("/app.js", "text/javascript; charset=utf-8"),
        ("/js/protocol.js", "text/javascript; charset=utf-8"),
        ("/js/capture-worklet.js", "text/javascript; charset=utf-8"),
        ("/style.css", "text/css; charset=utf-8"),
        ("/favicon.svg", "image/svg+xml"),
        ("/index.html?x=1#y", "text/html; charset=utf-8"),
        ("/%6As/protocol.js", "text/javascript; charset=utf-8"),
    ],
)
def test_assets_have_their_content_type(server, path, ctype):
    resp, body = get(server, path)
    assert resp.status == 200, path
    assert resp.getheader("Content-Type") == ctype
    assert resp.getheader("X-Content-Type-Options") == "nosniff"
    assert len(body) > 0


@pytest.mark.parametrize(
    "path",
    [
        "/nope.js",
        "/js/",
        "/../__init__.py",
        "/js/../../http.py",
        "/%2e%2e/http.py",
        "/..%2fhttp.py",
        "/js/%2e%2e%2f%2e%2e%2fhttp.py",
        "/..\\http.py",
        "/.hidden",
        "/index.html%00.js",
        "//etc/passwd",
        "/%ff",
    ],
)
def test_unknown_and_escaping_paths_are_404(server, path):
    resp, body = get(server, path)
    assert resp.status == 404, path
    assert b"Not Found" in body


def test_resolve_static_never_leaves_the_folder(tmp_path):
    root = tmp_path / "static"
    root.mkdir()
    (root / "index.html").write_text("hi")
    (tmp_path / "secret.txt").write_text("secret")
    (root / "link.txt").symlink_to(tmp_path / "secret.txt")
    assert resolve_static("/", root) == (root / "index.html").resolve()
    assert resolve_static("/link.txt", root) is None
    assert resolve_static("/../secret.txt", root) is None
    assert resolve_static("/%2E%2E/secret.txt", root) is None


def test_websocket_upgrade_still_reaches_the_handler(server):
    with connect(f"ws://{server.host}:{server.port}/") as ws:
        ws.send(json.dumps({"uid": "t1", "model": "fake-wait"}))
        reply = json.loads(ws.recv(timeout=5))
    assert reply == {"uid": "t1", "status": "WAIT", "message": 3.5}
    assert server.sessions[-1].options["uid"] == "t1"
