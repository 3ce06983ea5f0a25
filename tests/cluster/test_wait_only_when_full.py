"""Through HAProxy a client hears WAIT only when every server is full (scripts/cluster.sh, real HAProxy,
three servers of --max_clients 3 on 127.0.0.1): a server that is full while HAProxy still sends it a new
session answers 503 before the upgrade and HAProxy tries another one; a resume still reaches its full
server; when all are full, WAIT.

Clients here hold their connection without speaking (admission counts them by --max_clients), so the
servers' cores stay idle; one cluster for the module, stopped by ``cluster.sh down`` whatever happens.
"""

from __future__ import annotations

import concurrent.futures
import contextlib
import os
import signal
import time

import pytest
from websockets.exceptions import InvalidStatus
from websockets.sync.client import connect

from tests.cluster.cluster import AGENT_INTER, Cluster
from whisper_live import protocol

NODES, MAX_CLIENTS = 3, 3
FLAGS = ("--max_clients", str(MAX_CLIENTS), "--omp_num_threads", "1", "--inference_workers", "1")
SCHEDULING_SLACK = 2.0  # s for a check due while 2 loaded cores are busy elsewhere (not a measured time)


@pytest.fixture(scope="module")
def cluster(tmp_path_factory):
    started = Cluster(tmp_path_factory.mktemp("cluster"), NODES, *FLAGS)
    try:
        yield started
    finally:
        started.down()


class Held:
    """One client's connection, held open without audio: ``reply`` is the server's first message (its kind:
    ready, wait, ...) or ``http NNN`` when the upgrade was refused."""

    def __init__(self, url: str, uid: str, **options):
        self.uid, self.ws = uid, None
        try:
            self.ws = connect(f"{url}/?uid={uid}", open_timeout=30, ping_interval=None)
        except InvalidStatus as refused:
            self.reply = f"http {refused.response.status_code}"
            return
        self.ws.send(protocol.ClientOptions(uid=uid, language="en", **options).to_message())
        self.first = protocol.parse_reply(self.ws.recv(timeout=30))
        self.reply = self.first.kind

    def close(self) -> None:
        if self.ws is not None:
            self.ws.close()


@contextlib.contextmanager
def holding(urls_and_uids):
    """Clients that connect together and hold their connections until the block ends."""
    with concurrent.futures.ThreadPoolExecutor(max(1, len(urls_and_uids))) as pool:
        clients = list(pool.map(lambda args: Held(*args), urls_and_uids))
    try:
        yield clients
    finally:
        for client in clients:
            client.close()


def node_url(cluster, i: int) -> str:
    return f"ws://127.0.0.1:{cluster.nodes[i - 1].port}"


def agents_say(state: str, names):
    def check(servers):
        return all(servers[n]["status"].split()[0] == ("DRAIN" if state == "drain" else "UP") for n in names)
    return check


def wait_idle(cluster):
    """Every server has said "ready" again (the held clients are gone)."""
    live = [f"node{i}" for i, p in enumerate(cluster.nodes, 1) if os.path.exists(f"/proc/{p.pid}")]
    cluster.wait_for(agents_say("ready", live), timeout=5 * AGENT_INTER + SCHEDULING_SLACK)


def connections(cluster, uid: str, expected: int, timeout: float = 10.0) -> list[int]:
    """The nodes (from 1) whose logs say ``uid`` connected, once per connection, when there are ``expected``
    (each logs it just after its reply)."""
    deadline = time.monotonic() + timeout
    while True:
        found = [i for i in range(1, NODES + 1) for u in cluster.connected_uids(i) if u == uid]
        if len(found) >= expected or time.monotonic() > deadline:
            return found
        time.sleep(0.05)


def sent_back(cluster, i: int) -> int:
    return cluster.node_log(i).count("upgrade sent back to the balancer")


def test_a_new_session_stuck_by_its_uid_to_a_full_server_lands_on_one_with_room(cluster):
    """Nine clients fill the three servers and leave; one server is filled again by clients of its own;
    three clients come back together with the uids it served before: HAProxy's stick table sends them to
    that full server, which sends them back, and they land on the two with room."""
    wait_idle(cluster)
    first = [f"first{i}" for i in range(NODES * MAX_CLIENTS)]
    with holding([(cluster.url, uid) for uid in first]) as clients:
        assert [c.reply for c in clients] == ["ready"] * len(first)
    wait_idle(cluster)
    full = cluster.node_of(first[0])
    its_uids = [uid for uid in first if cluster.node_of(uid) == full]
    assert len(its_uids) == MAX_CLIENTS, its_uids
    with holding([(node_url(cluster, full), f"direct{i}") for i in range(MAX_CLIENTS)]) as direct:
        assert [c.reply for c in direct] == ["ready"] * MAX_CLIENTS
        cluster.wait_for(agents_say("drain", [f"node{full}"]), timeout=AGENT_INTER + SCHEDULING_SLACK)
        before = sent_back(cluster, full)
        with holding([(cluster.url, uid) for uid in its_uids]) as again:
            assert [c.reply for c in again] == ["ready"] * MAX_CLIENTS, [c.reply for c in again]
            for uid in its_uids:  # on the full server the first time only
                found = connections(cluster, uid, expected=2)
                assert len(found) == 2 and found.count(full) == 1, (uid, found)
            assert sent_back(cluster, full) - before == MAX_CLIENTS
    wait_idle(cluster)


def test_a_server_haproxy_still_believes_ready_sends_new_sessions_back(cluster):
    """A server fills between two of its agent's answers (here: its agent is disabled in HAProxy, which
    keeps believing it ready, and direct clients fill it); three clients arrive together: HAProxy spreads
    them over the three servers it believes idle, the full one answers 503, and all three are admitted by
    the other two."""
    wait_idle(cluster)
    target = 2
    cluster.command(f"disable agent whisper_live/node{target}")
    try:
        with holding([(node_url(cluster, target), f"filler{i}") for i in range(MAX_CLIENTS)]) as fillers:
            assert [c.reply for c in fillers] == ["ready"] * MAX_CLIENTS
            assert cluster.servers()[f"node{target}"]["status"].split()[0] == "UP"
            before = sent_back(cluster, target)
            with holding([(cluster.url, f"newcomer{i}") for i in range(3)]) as newcomers:
                assert [c.reply for c in newcomers] == ["ready"] * 3, [c.reply for c in newcomers]
                assert not any(connections(cluster, c.uid, expected=1) == [target] for c in newcomers)
            assert sent_back(cluster, target) > before, "HAProxy sent one to the full server first"
    finally:
        cluster.command(f"enable agent whisper_live/node{target}")
    wait_idle(cluster)


def test_a_resume_reaches_its_full_server(cluster):
    wait_idle(cluster)
    with holding([(cluster.url, "resumer")]) as (resumer,):
        assert resumer.reply == "ready" and resumer.first.resume_token
        node = cluster.node_of("resumer")
        fillers = [(node_url(cluster, node), f"fill{i}") for i in range(MAX_CLIENTS - 1)]
        with holding(fillers) as filled:
            assert [c.reply for c in filled] == ["ready"] * (MAX_CLIENTS - 1)
            cluster.wait_for(agents_say("drain", [f"node{node}"]), timeout=AGENT_INTER + SCHEDULING_SLACK)
            resumer.ws.socket.close()  # the connection drops, the session waits for its resume
            time.sleep(0.5)
            again = Held(cluster.url, "resumer", resume=True, resume_token=resumer.first.resume_token)
            try:
                assert again.reply == "ready" and again.first.resumed, again.reply
            finally:
                again.close()
    wait_idle(cluster)


def test_wait_comes_when_every_server_is_full_even_before_the_agents_said_so(cluster):
    wait_idle(cluster)
    fillers = [(node_url(cluster, i), f"full{i}-{k}") for i in range(1, NODES + 1) for k in range(MAX_CLIENTS)]
    with holding(fillers) as filled:
        assert [c.reply for c in filled] == ["ready"] * len(fillers)
        with holding([(cluster.url, "one-too-many")]) as (late,):  # at once: the agents may not have said
            assert late.reply == "wait"
    wait_idle(cluster)


def test_after_a_server_is_told_to_stop_three_newcomers_together_are_all_admitted(cluster):
    """The issue's scenario: nine clients finish, one server gets SIGTERM, three new clients arrive
    together: none hears WAIT while the other two servers have six free places."""
    wait_idle(cluster)
    with holding([(cluster.url, f"nine{i}") for i in range(NODES * MAX_CLIENTS)]) as nine:
        assert [c.reply for c in nine] == ["ready"] * NODES * MAX_CLIENTS
    wait_idle(cluster)
    stopped = connections(cluster, "nine0", expected=1)[0]
    served_before = len(cluster.connected_uids(stopped))
    os.kill(cluster.nodes[stopped - 1].pid, signal.SIGTERM)
    # they reuse the first names (as a benchmark's clients do): the stick table knows some of them
    with holding([(cluster.url, f"nine{i}") for i in range(3)]) as newcomers:
        assert [c.reply for c in newcomers] == ["ready"] * 3, [c.reply for c in newcomers]
        for c in newcomers:
            assert len(connections(cluster, c.uid, expected=2)) == 2
    assert len(cluster.connected_uids(stopped)) == served_before
