"""A session outlives its connection: what a drop, the work done while detached and a resume send, with a
stand-in socket, scheduler and streaming session (no model, no network)."""

import json
import queue
import threading

from websockets.exceptions import ConnectionClosedError, ConnectionClosedOK
from websockets.frames import Close

from whisper_live import protocol
from whisper_live.protocol import Segment
from whisper_live.server.session.connection import Connection
from whisper_live.server.session.lifecycle import EndCause, State
from whisper_live.server.session.serve_client import ServeClient
from whisper_live.streaming.windows import Update


class FakeSocket:
    """Frames the test queues come out of recv(); None stands for the connection dropping."""

    def __init__(self, close_code=None):
        self.sent, self.incoming, self.close_code, self.closed = [], queue.Queue(), close_code, None

    def recv(self, timeout):
        try:
            frame = self.incoming.get(timeout=timeout)
        except queue.Empty:
            raise TimeoutError from None
        if frame is None:
            if self.close_code is None:
                raise ConnectionClosedError(None, None)
            raise ConnectionClosedOK(Close(self.close_code, ""), None)
        return frame

    def send(self, message):
        self.sent.append(json.loads(message))

    def close(self, code=1000, reason=""):
        self.closed = code


class FakeStream:
    def __init__(self):
        self.completed, self.partial, self.received, self.ended = [], [], 0, False
        self.finished = False

    def pending(self):
        return None

    def add_audio(self, samples):
        self.received += len(samples)

    def take_warnings(self):
        return []

    def apply(self, window, result):
        self.completed.append(result)
        return Update(completed=[result])

    def end_of_audio(self):
        self.ended = self.finished = True


class FakeRunner:
    def __init__(self):
        self.clients = set()

    def add(self, client):
        self.clients.add(client)

    def remove(self, client):
        self.clients.discard(client)

    def notify(self, client):
        pass


def segment(i):
    return Segment(start=float(i), end=i + 0.9, text=f" word{i}", completed=True)


def make_client(last_n=2, resume_timeout=30):
    runner, freed = FakeRunner(), []
    client = ServeClient(protocol.ClientOptions(uid="u", send_last_n_segments=last_n), FakeStream(), runner,
                         max_connection_time=600, on_end=freed.append, resume_timeout=resume_timeout)
    return client, runner, freed


def serve_in_thread(client, conn):
    outcome = []
    thread = threading.Thread(target=lambda: outcome.append(client.serve(conn)))
    thread.start()
    return thread, outcome


def attach_and_drop(client):
    """A first connection reads the session until it drops (no close frame); its reader loop has returned."""
    socket = FakeSocket()
    conn = Connection(socket, "u")
    client.attach(conn, lambda seconds: protocol.server_ready("u", "fake"), resumed=False)
    thread, _ = serve_in_thread(client, conn)
    socket.incoming.put(None)
    thread.join(5)


def test_a_drop_detaches_and_a_resume_sends_what_was_missed_with_original_times():
    client, runner, freed = make_client(last_n=2)
    first = FakeSocket()
    conn = Connection(first, "u")
    client.attach(conn, lambda seconds: protocol.server_ready("u", "fake", client.resume_token, 30), resumed=False)
    thread, outcome = serve_in_thread(client, conn)
    first.incoming.put(protocol.encode_audio_frame([0.0] * 1600))
    for i in range(3):
        client.deliver(None, segment(i), None)
    for _ in range(100):  # the sender has written them
        if len([m for m in first.sent if "segments" in m]) == 3:
            break
        threading.Event().wait(0.02)
    first.incoming.put(None)  # the connection drops: no close frame
    thread.join(5)
    assert outcome == [True] and not client.attached and client.detached_since is not None
    assert client in runner.clients and not freed  # still transcribing, still holding its slot
    written = [m for m in first.sent if "segments" in m]
    assert written and written[-1]["segments"][-1]["start"] == "2.000"
    for i in range(3, 6):  # completed while away
        client.deliver(None, segment(i), None)
    assert len([m for m in first.sent if "segments" in m]) == len(written)  # nothing sent meanwhile

    second = FakeSocket()
    conn2 = Connection(second, "u")
    assert client.attach(conn2, lambda seconds: protocol.server_ready("u", "fake", client.resume_token, 30,
                                                                       audio_received=seconds), resumed=True)
    thread, outcome = serve_in_thread(client, conn2)
    second.incoming.put(protocol.END_OF_AUDIO)
    thread.join(5)
    ready, catch_up = second.sent[0], second.sent[1]
    assert ready["resumed"] is True and ready["audio_received"] == 0.1
    # every segment completed after the last one written, with the last_n before it, at their own times
    assert [s["start"] for s in catch_up["segments"]] == ["1.000", "2.000", "3.000", "4.000", "5.000"]
    assert second.sent[-1]["message"] == protocol.DISCONNECT and second.closed == 1000
    assert outcome == [False] and freed == [client] and not runner.clients


def test_a_normal_close_before_end_of_audio_ends_the_session():
    client, runner, freed = make_client()
    socket = FakeSocket(close_code=1000)
    conn = Connection(socket, "u")
    client.attach(conn, lambda seconds: protocol.server_ready("u", "fake"), resumed=False)
    thread, outcome = serve_in_thread(client, conn)
    socket.incoming.put(None)
    thread.join(5)
    assert outcome == [False] and freed == [client]


def test_a_resume_takes_over_a_connection_whose_drop_was_not_noticed():
    client, runner, freed = make_client()
    old = Connection(FakeSocket(), "u")
    old.websocket.socket = type("S", (), {"shutdown": lambda self, how: old.websocket.incoming.put(None)})()
    client.attach(old, lambda seconds: protocol.server_ready("u", "fake"), resumed=False)
    thread, outcome = serve_in_thread(client, old)
    new = Connection(FakeSocket(), "u")
    assert client.attach(new, lambda seconds: protocol.server_ready("u", "fake"), resumed=True)
    thread.join(5)
    assert outcome == [True] and old.replaced and client.attached and not freed


def test_an_expired_session_is_freed_and_cannot_be_resumed():
    client, runner, freed = make_client(resume_timeout=0.2)
    attach_and_drop(client)
    assert client.session.state is State.DETACHED and not freed
    for _ in range(100):
        if freed:
            break
        threading.Event().wait(0.05)
    assert freed == [client] and not runner.clients and client.session.cause is EndCause.EXPIRED
    assert not client.attach(Connection(FakeSocket(), "u"), lambda seconds: "", resumed=True)


def test_the_language_detected_while_detached_is_sent_on_resume():
    client, runner, freed = make_client()
    client.stream.apply = lambda window, result: Update(language=("de", 0.9))
    attach_and_drop(client)
    client.deliver(None, "answer", None)
    second = FakeSocket()
    conn2 = Connection(second, "u")
    client.attach(conn2, lambda seconds: protocol.server_ready("u", "fake"), resumed=True)
    conn2.flush_and_close()
    assert second.sent[1] == {"uid": "u", "language": "de", "language_prob": 0.9}


def test_what_the_model_completes_goes_to_the_clients_room_too_even_while_detached():
    from whisper_live.rooms import RoomRegistry

    rooms = RoomRegistry()
    try:
        client, _, _ = make_client()
        client.room = rooms.join("talk", "Ann", public=True)
        reader = rooms.open_reader("talk", None)
        client.deliver(None, segment(0), None)  # no connection: detached
        conn = Connection(FakeSocket(), "u")
        client.attach(conn, lambda seconds: protocol.server_ready("u", "fake"), resumed=False)
        client.deliver(None, segment(1), None)
        for _ in range(100):
            if rooms.find("talk", None).seq == 2:
                break
            threading.Event().wait(0.02)
        lines = [json.loads(e.data) for e in reader.take() if e.kind == "completed"]
        assert [(line["speaker"], line["text"]) for line in lines] == [("Ann", "word0"), ("Ann", "word1")]
        client.end()
    finally:
        rooms.stop()
