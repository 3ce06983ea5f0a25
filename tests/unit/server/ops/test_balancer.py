"""Upgrades decided before the handshake (whisper_live/server/ops/balancer.py): a place held, or a 503 to a
balancer's retryable request after the agent's next answer; direct clients and last-resort lines go on."""

from __future__ import annotations

import time

from websockets.datastructures import Headers
from websockets.http11 import Request

from whisper_live.admission import Admission, LoadMeter
from whisper_live.server.ops import balancer
from whisper_live.server.ops.balancer import BALANCER_HEADER, UpgradeAdmission
from whisper_live.server.ops.metrics import Metrics
from whisper_live.server.session.client_manager import ClientManager


class FakeAgent:
    """Answers the next check after ``delay`` s, and says how often it was waited for."""

    def __init__(self, delay=0.0, answers=True, then=None):
        self.delay, self.answers, self.then, self.waits = delay, answers, then, 0

    def wait_for_answer(self, timeout):
        self.waits += 1
        time.sleep(min(self.delay, timeout))
        if self.then:
            self.then()
        return self.answers


def upgrade(path="/", line=None):
    headers = [("Upgrade", "websocket"), ("Connection", "Upgrade")]
    if line is not None:
        headers.append((BALANCER_HEADER, line))
    return Request(path, Headers(headers))


def setup(max_clients=1, draining=False, sessions=(), agent=None):
    manager = ClientManager(Admission(LoadMeter(workers=1), max_clients), 600)
    metrics = Metrics(gpu=False)
    upgrades = UpgradeAdmission(manager, lambda: draining, lambda uid: uid in sessions, lambda: agent, metrics)
    return manager, upgrades, metrics


def rejected(metrics, reason):
    return metrics.rejected.labels(reason=reason)._value.get()


def test_an_upgrade_holds_a_place_whoever_sent_it():
    manager, upgrades, _ = setup(max_clients=2)
    assert upgrades.check("direct", upgrade()) is None
    assert upgrades.check("via-haproxy", upgrade(line="node1")) is None
    assert manager.room() == (2, 0)


def test_a_full_server_sends_a_balancer_s_request_back_after_its_agent_answered(monkeypatch):
    monkeypatch.setattr(balancer, "AFTER_AGENT_ANSWER", 0.0)
    agent = FakeAgent()
    manager, upgrades, metrics = setup(agent=agent)
    assert upgrades.check("first", upgrade(line="node1")) is None
    refused = upgrades.check("second", upgrade(line="node1"))
    assert refused.status_code == 503 and refused.headers["Retry-After"] == "1"
    assert agent.waits == 1 and rejected(metrics, "balancer_full") == 1
    assert manager.room() == (1, 0), "the refused request holds nothing"


def test_a_place_freed_while_the_agent_answered_admits_the_request(monkeypatch):
    monkeypatch.setattr(balancer, "AFTER_AGENT_ANSWER", 0.0)
    agent = FakeAgent()
    manager, upgrades, _ = setup(agent=agent)
    upgrades.check("first", upgrade(line="node1"))
    agent.then = lambda: manager.let_go("first")
    assert upgrades.check("second", upgrade(line="node1")) is None
    assert manager.room() == (1, 0)


def test_without_an_agent_or_its_answer_the_503_comes_at_once_or_after_the_wait():
    manager, upgrades, _ = setup(agent=None)
    upgrades.check("first", upgrade(line="node1"))
    assert upgrades.check("second", upgrade(line="node1")).status_code == 503
    silent = FakeAgent(answers=False)
    _, upgrades, _ = setup(max_clients=0, agent=silent)
    assert upgrades.check("any", upgrade(line="node2")).status_code == 503 and silent.waits == 1


def test_direct_clients_and_last_resort_lines_go_on_to_hear_wait_after_their_options():
    agent = FakeAgent()
    _, upgrades, _ = setup(max_clients=0, agent=agent)
    assert upgrades.check("direct", upgrade()) is None
    assert upgrades.check("last", upgrade(line="wait1")) is None
    assert agent.waits == 0


def test_a_draining_server_sends_every_balancer_request_back_even_a_resume(monkeypatch):
    monkeypatch.setattr(balancer, "AFTER_AGENT_ANSWER", 0.0)
    manager, upgrades, metrics = setup(max_clients=4, draining=True, sessions={"u1"}, agent=FakeAgent())
    assert upgrades.check("new", upgrade(line="node1")).status_code == 503
    assert upgrades.check("resume", upgrade("/?uid=u1", line="node1")).status_code == 503
    assert rejected(metrics, "balancer_draining") == 2
    assert upgrades.check("direct", upgrade()) is None, "a direct client hears WAIT after its options"
    assert manager.room()[0] == 0, "a draining server holds no place"


def test_a_request_naming_a_session_held_here_goes_on_when_full():
    manager, upgrades, _ = setup(max_clients=1, sessions={"u1"}, agent=FakeAgent())
    upgrades.check("first", upgrade(line="node1"))
    assert upgrades.check("resume", upgrade("/?uid=u1&token=x", line="node1")) is None
    assert upgrades.check("other", upgrade("/?uid=u2", line="node1")).status_code == 503
    assert manager.room() == (1, 0)
