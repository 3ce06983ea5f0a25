"""The server's access rules, metrics and status on the API's port, with one server that has them all: an
API key, an origin list, a rate limit and TLS (a certificate made here with openssl)."""

from __future__ import annotations

import base64
import json
import ssl

import httpx
import openai
import pytest
from websockets.exceptions import InvalidStatus
from websockets.sync.client import connect

from tests.api.conftest import ApiServerProcess

KEY = "k-api-test"
ORIGIN = "https://app.example"
RPM = 40


@pytest.fixture(scope="module")
def server(certificate):
    cert, key = certificate
    process = ApiServerProcess("--api_key", KEY, "--cors-origins", ORIGIN, "--rate_limit_rpm", str(RPM),
                               "--ssl_certfile", str(cert), "--ssl_keyfile", str(key))
    process.cert = cert
    yield process
    process.stop()


def url(server, path: str) -> str:
    return f"https://{server.host}:{server.rest_port}{path}"


def http(server, key=KEY) -> httpx.Client:
    return httpx.Client(verify=ssl.create_default_context(cafile=str(server.cert)), timeout=120,
                        headers={"Authorization": f"Bearer {key}"} if key else {})


def test_https_and_the_key_with_the_openai_client(server, espeak):
    client = openai.OpenAI(base_url=url(server, "/v1"), api_key=KEY, max_retries=0,
                           http_client=httpx.Client(verify=ssl.create_default_context(cafile=str(server.cert)),
                                                       timeout=120))
    assert "tiny.en" in [m.id for m in client.models.list()]
    with open(espeak("Good morning everyone."), "rb") as f:
        assert "morning" in client.audio.transcriptions.create(model="whisper-1", file=f).text.lower()
    wrong = openai.OpenAI(base_url=url(server, "/v1"), api_key="wrong", max_retries=0,
                          http_client=httpx.Client(verify=ssl.create_default_context(cafile=str(server.cert)),
                                                       timeout=120))
    with pytest.raises(openai.AuthenticationError) as refused:
        wrong.models.list()
    assert refused.value.status_code == 401 and refused.value.body["code"] == "invalid_api_key"


def test_status_routes_and_the_request_counter(server):
    with http(server, key=None) as client:
        assert client.get(url(server, "/health")).json()["status"] == "ok"
        ready = client.get(url(server, "/ready"))
        assert ready.status_code == 200 and ready.json()["ready"] is True
        assert client.get(url(server, "/v1/models")).status_code == 401
    with http(server) as client:
        client.get(url(server, "/v1/models/tiny.en"))
        text = client.get(url(server, "/metrics")).text
    assert 'whisperlive_rest_requests_total{endpoint="/v1/models",status="401"}' in text
    assert 'whisperlive_rest_requests_total{endpoint="/v1/models/{model_id}",status="200"}' in text


def test_origins_not_listed_are_refused_and_listed_ones_get_cors_headers(server):
    with http(server) as client:
        refused = client.get(url(server, "/v1/models"), headers={"Origin": "https://evil.example"})
        assert refused.status_code == 403 and refused.json()["error"]["code"] == "origin_not_allowed"
        allowed = client.get(url(server, "/v1/models"), headers={"Origin": ORIGIN})
        assert allowed.status_code == 200 and allowed.headers["access-control-allow-origin"] == ORIGIN
    with http(server, key=None) as client:  # (a browser's preflight carries no key)
        preflight = client.options(url(server, "/v1/audio/transcriptions"), headers={
            "Origin": ORIGIN, "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "authorization"})
        assert preflight.status_code == 200 and preflight.headers["access-control-allow-origin"] == ORIGIN


def test_the_realtime_websocket_needs_the_key_too(server):
    context = ssl.create_default_context(cafile=str(server.cert))
    target = f"wss://{server.host}:{server.rest_port}/v1/realtime?intent=transcription"
    with pytest.raises(InvalidStatus) as refused:
        with connect(target, ssl=context, open_timeout=30):
            pass
    assert refused.value.response.status_code == 401
    with connect(target, ssl=context, open_timeout=30,
                 additional_headers={"Authorization": f"Bearer {KEY}"}) as ws:
        assert json.loads(ws.recv(timeout=30))["type"] == "session.created"
        ws.send(json.dumps({"type": "input_audio_buffer.append", "audio": base64.b64encode(b"\0\0" * 2400).decode()}))
        ws.send(json.dumps({"type": "input_audio_buffer.clear"}))
        assert json.loads(ws.recv(timeout=30))["type"] == "input_audio_buffer.cleared"


def test_the_rate_limit_answers_429_with_retry_after(server):  # (last: it uses up this address's minute)
    with http(server) as client:
        answers = [client.get(url(server, "/v1/models")) for _ in range(RPM + 1)]
    refused = [a for a in answers if a.status_code == 429]
    assert refused and int(refused[0].headers["retry-after"]) >= 1
    assert refused[0].json()["error"]["code"] == "rate_limited"
