"""The status paths and the WebSocket handshake's checks (whisper_live/server/ops/endpoints.py), without a
server."""

from __future__ import annotations

import json

from whisper_live.server.ops.auth import ApiKeys
from whisper_live.server.ops.health import ServerState
from whisper_live.server.ops.metrics import Metrics


def test_status_paths_need_the_key_only_when_asked():
    from websockets.datastructures import Headers
    from websockets.http11 import Request

    from whisper_live.server.ops.endpoints import AccessPolicy, Endpoints

    state = ServerState(loaded=True, draining=True, clients=0, max_clients=4, headroom=1.0)

    def answer(endpoints, path, headers=(), method="GET"):
        connection = type("Connection", (), {"remote_address": ("10.0.0.9", 5000)})()
        return endpoints.process_request(connection, Request(path, Headers(list(headers)), method))

    guarded = Endpoints(lambda: state, Metrics(gpu=False), AccessPolicy(ApiKeys(["k"]), status_requires_key=True))
    bearer = [("Authorization", "Bearer k")]
    assert answer(guarded, "/health").status_code == 200
    assert answer(guarded, "/metrics").status_code == 401 and answer(guarded, "/ready").status_code == 401
    assert answer(guarded, "/metrics", bearer).status_code == 200
    ready = answer(guarded, "/ready", bearer)
    assert ready.status_code == 503 and json.loads(ready.body)["status"] == "draining"
    assert answer(guarded, "/ready", method="POST").status_code == 405
    assert answer(guarded, "/nothing/here").status_code == 404
    upgrade = [("Upgrade", "websocket"), ("Connection", "Upgrade")]
    assert answer(guarded, "/", upgrade).status_code == 401
    assert answer(guarded, "/?token=k", upgrade) is None, "the handshake goes on"
    refused = answer(guarded, "/?token=k", upgrade + [("Origin", "https://evil.example"), ("Host", "h:9090")])
    assert refused.status_code == 403
    open_status = Endpoints(lambda: state, Metrics(gpu=False), AccessPolicy(ApiKeys(["k"])))
    assert answer(open_status, "/metrics").status_code == 200 and answer(open_status, "/ready").status_code == 503


def test_an_upgrade_that_passed_every_check_is_decided_by_the_upgrades_hook_last():
    from websockets.datastructures import Headers
    from websockets.http11 import Request

    from whisper_live.server.ops.endpoints import AccessPolicy, Endpoints, response

    state = ServerState(loaded=True, draining=False, clients=0, max_clients=4, headroom=1.0)
    asked = []

    def upgrades(connection, request):
        asked.append(request.path)
        return response(503) if "full" in request.path else None

    endpoints = Endpoints(lambda: state, Metrics(gpu=False), AccessPolicy(ApiKeys(["k"])), upgrades=upgrades)
    connection = type("Connection", (), {"remote_address": ("10.0.0.9", 5000)})()
    upgrade = Headers([("Upgrade", "websocket"), ("Connection", "Upgrade")])
    assert endpoints.process_request(connection, Request("/", upgrade)).status_code == 401
    assert endpoints.process_request(connection, Request("/?token=k", upgrade)) is None
    assert endpoints.process_request(connection, Request("/?token=k&full", upgrade)).status_code == 503
    assert endpoints.process_request(connection, Request("/health", Headers())).status_code == 200
    assert asked == ["/?token=k", "/?token=k&full"], "only upgrades with a key reach it"


def test_a_twilio_stream_needs_twilios_signature_or_a_key():
    from websockets.datastructures import Headers
    from websockets.http11 import Request

    from whisper_live.server.ops.endpoints import AccessPolicy, Endpoints
    from whisper_live.telephony.signature import signature

    state = ServerState(loaded=True, draining=False, clients=0, max_clients=4, headroom=1.0)
    upgrade = [("Upgrade", "websocket"), ("Connection", "Upgrade"), ("Host", "calls.example.com")]

    def answer(endpoints, path, headers=()):
        connection = type("Connection", (), {"remote_address": ("10.0.0.9", 5000)})()
        return endpoints.process_request(connection, Request(path, Headers(upgrade + list(headers)), "GET"))

    signed = [("X-Twilio-Signature", signature("tok", "wss://calls.example.com/twilio"))]
    metrics = Metrics(gpu=False)
    twilio = Endpoints(lambda: state, metrics, AccessPolicy(twilio_auth_token="tok"))
    assert answer(twilio, "/twilio", signed) is None
    assert answer(twilio, "/twilio").status_code == 403
    assert answer(twilio, "/twilio", [("X-Twilio-Signature", signature("other", "wss://calls.example.com/twilio"))]
                  ).status_code == 403
    assert answer(twilio, "/", signed) is None, "other paths are not the signature's business"
    assert metrics.rejected.labels(reason="twilio_signature")._value.get() == 2
    both = Endpoints(lambda: state, Metrics(gpu=False), AccessPolicy(ApiKeys(["k"]), twilio_auth_token="tok"))
    assert answer(both, "/twilio", signed) is None and answer(both, "/twilio?token=k") is None
    assert answer(both, "/twilio?token=bad").status_code == 403 and answer(both, "/", signed).status_code == 401
    keys_only = Endpoints(lambda: state, Metrics(gpu=False), AccessPolicy(ApiKeys(["k"])))
    assert answer(keys_only, "/twilio").status_code == 401 and answer(keys_only, "/twilio?token=k") is None
