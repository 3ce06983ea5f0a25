"""Draining the API (whisper_live/api/app.py ApiState): new work is refused at once, work in flight is waited
for, and the Realtime sessions are told to finish."""

import threading
import time

import pytest

from whisper_live.api.app import ApiState
from whisper_live.api.errors import ApiError


class Session:
    def __init__(self):
        self.told = False

    def finish_soon(self):
        self.told = True


def test_drain_refuses_new_work_and_waits_for_the_work_in_flight():
    state = ApiState(server=None)
    state.enter()
    session = Session()
    state.realtime_sessions.add(session)
    assert state.drain(timeout=0.2) is False, "a request is still in flight"
    assert session.told
    with pytest.raises(ApiError) as refused:
        state.enter()
    assert refused.value.status == 503 and refused.value.code == "shutting_down"
    threading.Timer(0.2, state.leave).start()
    began = time.monotonic()
    assert state.drain(timeout=30) is True
    assert time.monotonic() - began < 30 and state.in_flight == 0


def test_a_draining_app_answers_503_to_any_request():
    from starlette.testclient import TestClient

    from whisper_live.api.app import create_app

    class Server:  # what the models route reads of the server
        class config:
            single_model, backend = True, "faster_whisper"

        class default_runner:
            class transcriber:
                model_name = "tiny.en"

    app = create_app(Server())
    with TestClient(app) as http:
        assert http.get("/v1/models").status_code == 200
        app.state.api.drain(timeout=1)
        refused = http.get("/v1/models")
        assert refused.status_code == 503 and refused.json()["error"]["code"] == "shutting_down"


def test_the_api_refuses_new_work_while_the_whole_server_drains():
    class Server:
        draining = False

    state = ApiState(Server())
    state.enter()
    state.leave()
    Server.draining = True
    with pytest.raises(ApiError):
        state.enter()
