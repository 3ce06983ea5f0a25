"""The status routes on the API's port (whisper_live/api/operations.py): the same answers as on the WebSocket
port, and the key where ``--status_requires_key`` asks for it, through the whole app without a model."""

from __future__ import annotations

import pytest

from whisper_live.server.ops.auth import ApiKeys
from whisper_live.server.ops.endpoints import AccessPolicy
from whisper_live.server.ops.health import ServerState
from whisper_live.server.ops.metrics import Metrics


def api_client(status_requires_key: bool):
    from starlette.testclient import TestClient

    from whisper_live.api.app import create_app

    class Server:
        class config:
            rate_limit_rpm = 0

        draining = False
        access = AccessPolicy(ApiKeys(["k"]), status_requires_key=status_requires_key)
        metrics = Metrics(gpu=False)

        @staticmethod
        def state():
            return ServerState(loaded=True, draining=True, clients=0, max_clients=4, headroom=1.0)

    return TestClient(create_app(Server()))


@pytest.mark.parametrize("guarded", [False, True])
def test_status_routes_answer_as_on_the_websocket_port(guarded):
    bearer = {"Authorization": "Bearer k"}
    with api_client(status_requires_key=guarded) as http:
        health = http.get("/health")
        assert health.status_code == 200 and health.json() == {"status": "ok"}
        assert health.headers["content-type"] == "application/json"
        for path in ("/ready", "/metrics"):
            refused = http.get(path)
            if guarded:
                assert refused.status_code == 401 and refused.headers["www-authenticate"] == "Bearer"
                assert refused.json()["error"]["code"] == "invalid_api_key"
            else:
                assert refused.status_code != 401
        ready = http.get("/ready", headers=bearer)
        assert ready.status_code == 503 and ready.json()["status"] == "draining"
        exposition = http.get("/metrics", headers=bearer)
        assert exposition.status_code == 200 and exposition.headers["content-type"].startswith("text/plain")
        assert 'whisperlive_rest_requests_total{endpoint="/ready",status="503"}' in exposition.text
        assert http.post("/health").status_code == 405
