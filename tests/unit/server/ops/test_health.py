"""Liveness and readiness (whisper_live/server/ops/health.py) from the server's state."""

from __future__ import annotations

import json

from whisper_live.server.ops.health import ServerState, liveness, readiness


def test_readiness_reports_why_it_refuses():
    ready = ServerState(loaded=True, draining=False, clients=1, max_clients=4, headroom=0.75)
    status, body = readiness(ready)
    assert status == 200 and json.loads(body) == {"status": "ready", "ready": True, "draining": False, "clients": 1,
                                                  "max_clients": 4, "headroom": 0.75}
    for state, expected in [(ServerState(True, True, 1, 4, 0.75), "draining"),
                            (ServerState(False, False, 0, 4, 1.0), "loading"),
                            (ServerState(True, False, 4, 4, 0.0, "server is at its limit of 4 clients"), "full")]:
        status, body = readiness(state)
        body = json.loads(body)
        assert status == 503 and body["status"] == expected and not body["ready"] and body["reason"]
        assert body["draining"] == state.draining and body["clients"] == state.clients
    assert liveness(ready)[0] == 200 and liveness(ServerState(False, False, 0, 4, 1.0))[0] == 503
