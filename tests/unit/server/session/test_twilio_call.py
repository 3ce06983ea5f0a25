"""A phone call over stand-ins (a queued socket, a runner that transcribes at once with the scripted
transcriber, a webhook sender whose POSTs are recorded): its tracks, its endings, its refusals."""

import json
import threading
import time

import numpy as np
import pytest

from tests.fakes import silence, speech
from tests.unit.server.session.call_fakes import (CLOSED, FLOAT32, STOP, CallSocket, FakeServer, Posts, PumpRunner,
                                                  chunks, media, patch_streams, start)
from whisper_live.server.config import ServerConfig
from whisper_live.server.session.lifecycle import State
from whisper_live.server.session.phone_calls import PhoneCalls
from tests.threads import NewThreads

HOOK = "http://127.0.0.1:9/hook"


def serve(monkeypatch, messages, *, max_clients=4, runner=None, posts=None, callback_url=HOOK, allow=()):
    """Serve one call that sends ``messages``; (socket, posts, server, calls)."""
    server = FakeServer(ServerConfig(max_clients=max_clients, telephony_callback_url=callback_url,
                                     telephony_callback_allow=tuple(allow)), runner or PumpRunner())
    patch_streams(monkeypatch, server)
    posts = posts or Posts()
    calls = PhoneCalls(server, post=posts, backoff=0.01, max_backoff=0.02)
    socket = CallSocket()
    socket.queue(*messages)
    calls.serve(socket)
    return socket, posts, server, calls


def words(track_words, gap_after=1.0):
    return np.concatenate([speech(track_words), silence(gap_after)])


def test_both_tracks_are_transcribed_in_order_each_under_its_track(monkeypatch):
    inbound, outbound = chunks("inbound", words([1, 2, 3])), chunks("outbound", words([7, 8]))
    inbound[1], inbound[2] = inbound[2], inbound[1]  # out of order: the reorder buffer puts it back
    messages = [{"event": "connected", "protocol": "Call", "version": "1.0.0"},
                start(("inbound", "outbound"), FLOAT32)]
    for i in range(max(len(inbound), len(outbound))):
        messages += inbound[i:i + 1] + outbound[i:i + 1]
    socket, posts, server, _ = serve(monkeypatch, messages + [STOP])
    assert socket.closed == (1000, "")
    events = posts.events()
    assert events[0] == "transcription-started" and events[-1] == "transcription-stopped"
    assert posts.fields[0]["Track"] == "both_tracks"
    assert [f["SequenceId"] for f in posts.fields] == [str(i) for i in range(1, len(posts.fields) + 1)]
    finals = posts.contents()
    by_track = {t: " ".join(json.loads(f["TranscriptionData"])["transcript"] for f in finals if f["Track"] == t)
                for t in ("inbound_track", "outbound_track")}
    assert by_track == {"inbound_track": "w1 w2 w3", "outbound_track": "w7 w8"}
    assert all(f["CallSid"] == "CA1" and f["AccountSid"] == "AC1" for f in posts.fields)
    assert all(float(f["SegmentEnd"]) > float(f["SegmentStart"]) for f in finals)
    assert not posts.contents(final=False)  # partial results only when asked for
    assert len(server.manager) == 0


def test_partial_results_are_sent_when_the_stream_asks_for_them(monkeypatch):
    audio = words(list(range(1, 13)))
    _, posts, _, _ = serve(monkeypatch, [start(("inbound",), FLOAT32, partialResults="true")]
                           + chunks("inbound", audio) + [STOP])
    assert posts.fields[0]["PartialResults"] == "true"
    partials = [json.loads(f["TranscriptionData"])["transcript"] for f in posts.contents(final=False)]
    assert partials and len(partials) == len(set(partials))  # each partial text once
    final = " ".join(json.loads(f["TranscriptionData"])["transcript"] for f in posts.contents())
    assert final == " ".join(f"w{k}" for k in range(1, 13))


def test_a_close_without_stop_still_delivers_the_last_words(monkeypatch):
    audio = speech([4, 5])  # no pause after the last word: only the end of the audio commits it
    socket, posts, server, _ = serve(monkeypatch, [start(("inbound",), FLOAT32)] + chunks("inbound", audio)
                                     + [CLOSED])
    assert " ".join(json.loads(f["TranscriptionData"])["transcript"] for f in posts.contents()) == "w4 w5"
    assert posts.events()[-1] == "transcription-stopped"
    assert len(server.manager) == 0


@pytest.mark.parametrize("bad", ["not json", {"event": "media", "media": {"track": "inbound", "chunk": "x",
                                                                           "payload": ""}},
                                 {"event": "media", "media": {"track": "outbound", "chunk": "1", "payload": ""}},
                                 {"event": "start", "start": {"streamSid": "MZ2", "callSid": "CA2"}}])
def test_a_malformed_event_closes_the_stream_with_a_reason(monkeypatch, bad):
    socket, posts, server, _ = serve(monkeypatch, [start(("inbound",), FLOAT32)]
                                     + chunks("inbound", words([1]))[:2] + [bad] + chunks("inbound", words([2]), 3))
    assert socket.closed[0] == 1003
    errors = [f for f in posts.fields if f["TranscriptionEvent"] == "transcription-error"]
    assert len(errors) == 1 and "malformed" in errors[0]["TranscriptionError"]
    assert posts.events()[-1] == "transcription-stopped"
    assert server.metrics.errors.labels(type="protocol")._value.get() == 1
    assert len(server.manager) == 0


def test_a_full_server_refuses_the_whole_call_and_counts_it(monkeypatch):
    socket, posts, server, _ = serve(monkeypatch, [start(("inbound", "outbound"), FLOAT32)], max_clients=1)
    assert socket.closed[0] == 1013
    assert server.metrics.rejected.labels(reason="full")._value.get() == 1
    assert len(server.manager) == 0  # the track admitted before the refusal is out again
    assert posts.events() == ["transcription-error"]


def test_a_callback_url_outside_the_allow_list_is_refused(monkeypatch):
    socket, posts, server, calls = serve(monkeypatch, [start(("inbound",), FLOAT32,
                                                             statusCallbackUrl="http://10.0.0.5/hook")])
    assert socket.closed[0] == 1008 and "allow" in socket.closed[1]
    assert calls.counters.refused == 1 and posts.fields == []
    assert server.metrics.rejected.labels(reason="callback_url")._value.get() == 1


def test_the_calls_own_callback_url_is_used_when_allowed(monkeypatch):
    _, posts, _, _ = serve(monkeypatch, [start(("inbound",), FLOAT32, statusCallbackUrl="http://10.0.0.5/hook")]
                           + chunks("inbound", words([3])) + [STOP], allow=["10.0.0.0/8"])
    assert posts.events()[0] == "transcription-started"


def test_no_callback_url_at_all_refuses_the_call(monkeypatch):
    socket, _, _, _ = serve(monkeypatch, [start(("inbound",), FLOAT32)], callback_url=None)
    assert socket.closed[0] == 1008


def test_media_before_start_is_refused(monkeypatch):
    socket, posts, server, _ = serve(monkeypatch, [media("inbound", 1, silence(0.02))])
    assert socket.closed[0] == 1003 and posts.fields == []
    assert server.metrics.rejected.labels(reason="bad_call")._value.get() == 1


def test_repeated_model_failures_end_the_call_with_an_error_callback(monkeypatch):
    socket, posts, server, _ = serve(monkeypatch, [start(("inbound",), FLOAT32)]
                                     + chunks("inbound", words(list(range(1, 10)))) + [STOP],
                                     runner=PumpRunner(fail=True))
    assert socket.closed[0] == 1011
    assert "transcription-error" in posts.events() and posts.events()[-1] == "transcription-stopped"


def test_a_drain_ends_the_call_like_a_stop_and_closes_with_going_away(monkeypatch):
    server = FakeServer(ServerConfig(telephony_callback_url=HOOK))
    patch_streams(monkeypatch, server)
    posts = Posts()
    calls = PhoneCalls(server, post=posts)
    socket = CallSocket()
    socket.queue(start(("inbound",), FLOAT32), *chunks("inbound", speech([6])))
    thread = threading.Thread(target=calls.serve, args=(socket,))
    thread.start()
    give_up = time.monotonic() + 5
    while (not server.manager.connected() or not socket.incoming.empty()) and time.monotonic() < give_up:
        time.sleep(0.01)
    time.sleep(0.2)  # the last media read is in the stream (a drain takes no audio after it)
    (session,) = server.manager.connected()
    session.drain(time.monotonic() + 5)
    thread.join(10)
    assert not thread.is_alive()
    assert socket.closed[0] == 1001 and session.state is State.ENDED
    assert [json.loads(f["TranscriptionData"])["transcript"] for f in posts.contents()] == ["w6"]


def test_no_thread_outlives_its_call(monkeypatch):
    threads = NewThreads()
    for _ in range(3):
        _, _, server, _ = serve(monkeypatch, [start(("inbound", "outbound"), FLOAT32)] + chunks("inbound", words([1]))
                                + [STOP])
        server.manager.close()  # its idle-memory release, as the server's shutdown stops it
    assert threads.alive() == []
