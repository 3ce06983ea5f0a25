"""TLS from the process itself: a self-signed certificate made here with openssl, the server started with
--ssl_certfile/--ssl_keyfile (and an API key), the Python client over wss:// trusting the certificate through
--ca_file, and headless Chromium loading the page over https:// and transcribing its fake microphone.
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
import ssl
import subprocess
import sys
import urllib.request

import pytest

from tests.server_process import ROOT, ServerProcess, free_port

from .conftest import BASE_FLAGS, KEY_WORDS, SENTENCE

KEY = "tls-test-key"


@pytest.fixture(scope="module")
def tls_server(certificate):
    cert, key = certificate
    metrics_port = free_port()
    server = ServerProcess("--ssl_certfile", str(cert), "--ssl_keyfile", str(key), "--api_key", KEY,
                           "--metrics_port", str(metrics_port))
    server.metrics_port = metrics_port
    yield server
    server.stop()


def spki_hash(cert) -> str:
    """base64 SHA-256 of the certificate's public key, as Chromium's --ignore-certificate-errors-spki-list wants."""
    public = subprocess.run(["openssl", "x509", "-pubkey", "-noout", "-in", str(cert)], check=True,
                            capture_output=True).stdout
    der = subprocess.run(["openssl", "pkey", "-pubin", "-outform", "der"], input=public, check=True,
                         capture_output=True).stdout
    return base64.b64encode(hashlib.sha256(der).digest()).decode()


def test_health_and_metrics_over_https_and_a_plain_connection_is_not_served(tls_server, certificate):
    context = ssl.create_default_context(cafile=str(certificate[0]))
    with urllib.request.urlopen(f"https://127.0.0.1:{tls_server.port}/health", context=context, timeout=30) as r:
        assert r.status == 200 and json.load(r)["status"] == "ok"
    with urllib.request.urlopen(f"https://localhost:{tls_server.metrics_port}/metrics", context=context,
                                timeout=30) as r:
        assert r.status == 200 and b"whisperlive_connections_active" in r.read()
    with pytest.raises(OSError):
        urllib.request.urlopen(f"http://127.0.0.1:{tls_server.metrics_port}/metrics", timeout=30)
    with pytest.raises(OSError):
        urllib.request.urlopen(f"http://127.0.0.1:{tls_server.port}/health", timeout=30)
    env = dict(os.environ, WHISPER_LIVE_PORT=str(tls_server.port), WHISPER_LIVE_SSL_CERTFILE=str(certificate[0]))
    healthcheck = subprocess.run([sys.executable, "-m", "whisper_live.server.ops.healthcheck"], env=env, cwd=ROOT,
                                 capture_output=True, text=True, timeout=60)
    assert healthcheck.returncode == 0, healthcheck.stderr
    assert "Traceback" not in tls_server.log()


def test_python_client_over_wss_with_the_ca_file(tls_server, certificate, speech_wav, tmp_path):
    out = tmp_path / "speech.txt"
    base = [sys.executable, str(ROOT / "run_client.py"), "-s", "127.0.0.1", "-p", str(tls_server.port), "--use_wss",
            "--api_key", KEY, "-l", "en", "--speed", "0", "-q", "-f", str(speech_wav)]
    done = subprocess.run(base + ["--ca_file", str(certificate[0]), "-o", str(out)], capture_output=True,
                          text=True, timeout=300, cwd=ROOT)
    assert done.returncode == 0, done.stderr[-2000:]
    text = out.read_text().lower()
    assert sum(w in text for w in KEY_WORDS) >= 4, f"expected the words of {SENTENCE!r}, got {text!r}"
    # without the CA file the self-signed certificate is refused, and the client says so
    refused = subprocess.run(base, capture_output=True, text=True, timeout=120, cwd=ROOT)
    assert refused.returncode != 0 and "certificate" in (refused.stderr + refused.stdout).lower()


def test_chromium_loads_the_page_over_https_and_transcribes(playwright_instance, chromium_path, speech_wav,
                                                            tls_server, certificate, artifacts):
    args = BASE_FLAGS + [
        "--use-fake-ui-for-media-stream",
        "--use-fake-device-for-media-stream",
        f"--use-file-for-fake-audio-capture={speech_wav}",
        f"--ignore-certificate-errors-spki-list={spki_hash(certificate[0])}",
    ]
    browser = playwright_instance.chromium.launch(executable_path=chromium_path, headless=True, args=args)
    try:
        page = browser.new_page()
        errors = []
        page.on("pageerror", lambda exc: errors.append(str(exc)))
        page.goto(f"https://localhost:{tls_server.port}/")
        assert page.evaluate("window.isSecureContext"), "an https page is a secure context (the microphone)"
        page.click("#settings summary")
        page.fill("#apiKey", KEY)
        page.dispatch_event("#apiKey", "change")
        page.click("#start")
        page.wait_for_selector("#segments li:has-text('morning')", timeout=90000)
        page.click("#stop")
        page.wait_for_selector('body[data-last-end="finished"]', state="attached", timeout=60000)
        text = page.inner_text("#segments").lower()
        page.screenshot(path=str(artifacts / "page-over-https.png"), full_page=True)
        assert sum(w in text for w in KEY_WORDS) >= 4, f"expected the words of {SENTENCE!r}, got {text!r}"
        assert not errors, errors
    finally:
        browser.close()
