"""Rooms behind HAProxy (scripts/cluster.sh, two servers with the API): publishers name their room in the URL
(``?room=``), so a second publisher of a room reaches the server that holds it; the room's readers (SSE,
WebSocket, transcript) reach that server through HAProxy's API frontend, by the table "rooms"
(deploy/haproxy/haproxy.cfg); a second room is read from its own server.

Lean for 2 cores: tiny.en, one model call at a time per server, a sentence of espeak-ng speech each.
"""

from __future__ import annotations

import json
import re
import threading
import time

import httpx
import pytest

from tests.cluster.cluster import AGENT_INTER, Cluster
from tests.server_process import free_port
from whisper_live.client import TranscriptionClient

ANN = "The museum opens at ten and closes early on Sundays, so plan your visit carefully."
BOB = "Fresh bread and green apples are sold at the market every Thursday afternoon."
CY = "The train to the coast leaves from platform four at half past nine."
TIMEOUT = 180.0


class Reader(threading.Thread):
    """One reader of a room through HAProxy: SSE (``/events``) or WebSocket (``/watch``); keeps the completed
    lines' seq until :meth:`close`."""

    def __init__(self, base: str, room: str, kind: str):
        super().__init__(daemon=True)
        self.url = f"{base}/v1/rooms/{room}/{'events' if kind == 'sse' else 'watch'}"
        self.kind, self.seqs, self.speakers = kind, set(), set()
        self.opened = threading.Event()
        self._closing = threading.Event()
        self._close = None
        self.failure = None

    def _event(self, text: str) -> None:
        event = json.loads(text)
        if event["type"] == "completed":
            self.seqs.add(event["seq"])
            self.speakers.add(event["speaker"])

    def run(self) -> None:
        try:
            if self.kind == "sse":
                with httpx.stream("GET", self.url, timeout=TIMEOUT) as response:
                    assert response.status_code == 200, response.status_code
                    self._close = response.close
                    self.opened.set()
                    for line in response.iter_lines():
                        if line.startswith("data: "):
                            self._event(line[6:])
            else:
                from websockets.sync.client import connect

                with connect("ws" + self.url[4:], open_timeout=30) as ws:
                    self._close = ws.close
                    self.opened.set()
                    for message in ws:
                        self._event(message)
        except Exception as exc:  # noqa: BLE001 (closed by the test at its end, or a failure to report)
            if not self._closing.is_set():
                self.failure = f"{type(exc).__name__}: {exc}"
        finally:
            self.opened.set()

    def close(self) -> None:
        self._closing.set()
        if self._close is not None:
            self._close()
        self.join(10)


@pytest.fixture(scope="module")
def cluster(tmp_path_factory):
    rest_port = free_port()
    started = Cluster(tmp_path_factory.mktemp("rooms-cluster"), 2, "--enable_rest", "--rest_port", str(rest_port),
                      "--public_url", f"http://127.0.0.1:{rest_port}", "--max_clients", "3",
                      "--inference_workers", "1", "--omp_num_threads", "1", "--room_linger", "120")
    started.rest_port = rest_port
    # each node's own API port, from the processes' list ("node PID PORT AGENT_PORT REST_PORT")
    started.node_apis = [int(line.split()[4]) for line in (started.folder / "processes").read_text().splitlines()
                         if line.startswith("node ")]
    try:
        started.wait_for(lambda s: all(s[f"{k}{i}"]["status"] == "UP" for k in ("node", "rest") for i in (1, 2)),
                         timeout=10 * AGENT_INTER + 10)
        yield started
    finally:
        started.down()


def holders(cluster, room: str) -> list[int]:
    """The nodes (from 1) whose own API knows ``room``."""
    return [i for i, port in enumerate(cluster.node_apis, 1)
            if httpx.get(f"http://127.0.0.1:{port}/v1/rooms/{room}/transcript").status_code == 200]


def wait_for_room(base: str, room: str) -> None:
    deadline = time.monotonic() + 60
    while httpx.get(f"{base}/v1/rooms/{room}/transcript").status_code != 200:
        assert time.monotonic() < deadline, f"room {room} never appeared through HAProxy"
        time.sleep(0.2)


def test_a_room_s_publishers_and_readers_meet_on_the_server_that_holds_it(cluster, espeak):
    base = f"http://127.0.0.1:{cluster.rest_port}"
    outcomes, notices = {}, []
    speech = {text: espeak(text) for text in (ANN, BOB, CY)}  # (here: the fixture is not for threads)

    def publish(name, room, text):
        client = TranscriptionClient("127.0.0.1", cluster.port, lang="en", log_transcription=False,
                                     show_progress=False, speed=1.0, room=room, speaker_name=name,
                                     room_public=True, notice=notices.append)
        outcomes[name] = client(str(speech[text]))

    ann = threading.Thread(target=publish, args=("Ann", "hall", ANN))
    ann.start()
    wait_for_room(base, "hall")
    # readers through HAProxy, SSE and WebSocket, while Ann speaks; then Bob joins her room, Cy opens another
    readers = [Reader(base, "hall", kind) for kind in ("sse", "ws", "sse", "ws")]
    for reader in readers:
        reader.start()
    assert all(reader.opened.wait(30) for reader in readers)
    others = [threading.Thread(target=publish, args=("Bob", "hall", BOB)),
              threading.Thread(target=publish, args=("Cy", "lobby", CY))]
    for thread in others:
        thread.start()
    wait_for_room(base, "lobby")
    lobby_readers = [Reader(base, "lobby", kind) for kind in ("sse", "ws")]
    for reader in lobby_readers:
        reader.start()
    try:
        for thread in (ann, *others):
            thread.join(TIMEOUT)
        assert set(outcomes) == {"Ann", "Bob", "Cy"}

        # each room lives on one server; Bob, who joined "hall" later, reached Ann's server
        hall, lobby = holders(cluster, "hall"), holders(cluster, "lobby")
        assert len(hall) == 1 and len(lobby) == 1, (hall, lobby)
        table = dict(re.findall(r"key=(\S+) .*?server_id=(\d+)", cluster.command("show table rooms")))
        assert table == {"hall": str(hall[0]), "lobby": str(lobby[0])}, table
        print(f"hall on node {hall[0]}, lobby on node {lobby[0]}")
        # the links in SERVER_READY are HAProxy's (--public_url), and Python's client named the room in its URL
        assert any(f"{base}/captions/hall" in notice for notice in notices), notices

        def lines(room):
            answer = httpx.get(f"{base}/v1/rooms/{room}/transcript?format=json")
            assert answer.status_code == 200, (room, answer.status_code)
            return answer.json()["lines"]

        # every transcript request through HAProxy reaches the holder (the other server would answer 404)
        for _ in range(4):
            assert {line["speaker"] for line in lines("hall")} == {"Ann", "Bob"}
            assert {line["speaker"] for line in lines("lobby")} == {"Cy"}
        for name, room in (("Ann", "hall"), ("Bob", "hall"), ("Cy", "lobby")):
            own = [s.text.strip() for s in outcomes[name].completed if s.text.strip()]
            assert own and [line["text"] for line in lines(room) if line["speaker"] == name] == own, name
        hall_lines, lobby_lines = lines("hall"), lines("lobby")
        assert [line["start"] for line in hall_lines] == sorted(line["start"] for line in hall_lines)

        # every reader got every completed line of its room
        for group, room_lines in ((readers, hall_lines), (lobby_readers, lobby_lines)):
            wanted = {line["seq"] for line in room_lines}
            settle = time.monotonic() + 15
            while not all(wanted <= r.seqs for r in group) and time.monotonic() < settle:
                time.sleep(0.1)
            for reader in group:
                assert reader.failure is None, reader.failure
                assert wanted <= reader.seqs, (reader.kind, sorted(wanted - reader.seqs))
    finally:
        for reader in readers + lobby_readers:
            reader.close()
