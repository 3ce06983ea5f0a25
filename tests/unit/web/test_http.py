"""The page's files as HTTP responses (whisper_live/web/http.py), without a server."""

from __future__ import annotations

from whisper_live.web.http import CONTENT_SECURITY_POLICY, static_response


def test_files_are_revalidated_and_only_pages_carry_the_policy(tmp_path):
    (tmp_path / "index.html").write_text("<p>hi</p>")
    (tmp_path / "app.js").write_text("")
    page = static_response("/", tmp_path)
    assert page.status_code == 200 and page.body == b"<p>hi</p>"
    assert page.headers["Content-Type"] == "text/html; charset=utf-8" and page.headers["Cache-Control"] == "no-cache"
    assert page.headers["Content-Security-Policy"] == CONTENT_SECURITY_POLICY
    script = static_response("/app.js", tmp_path)
    assert script.status_code == 200 and script.body == b"" and script.headers["Content-Length"] == "0"
    assert "Content-Security-Policy" not in script.headers
    missing = static_response("/nothing.js", tmp_path)
    assert (missing.status_code, missing.body) == (404, b"404 Not Found\n")
