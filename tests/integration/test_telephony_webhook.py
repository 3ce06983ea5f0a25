"""Transcription callbacks to real webhooks on loopback: one that fails three times, one that never answers."""

import http.server
import threading
import time
import urllib.parse
from contextlib import contextmanager

from whisper_live.telephony.callback_policy import CallbackPolicy
from whisper_live.telephony.transcription_callbacks import TranscriptionCallbacks
from whisper_live.telephony.webhook import CallWebhook, WebhookCounters
from tests.threads import NewThreads


@contextmanager
def webhook_server(answer):
    """An HTTP server on 127.0.0.1 in a thread; ``answer(handler, fields)`` is called for every POST."""
    received, lock = [], threading.Lock()

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_POST(self):
            body = self.rfile.read(int(self.headers["Content-Length"]))
            fields = dict(urllib.parse.parse_qsl(body.decode()))
            with lock:
                received.append((self.headers["Content-Type"], fields))
            answer(self, fields)

        def log_message(self, *args):
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/transcripts?call=1", received
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


def test_a_webhook_failing_three_times_gets_every_transcript_in_order():
    failures = [3]

    def answer(handler, fields):
        if failures[0]:
            failures[0] -= 1
            handler.send_response(500)
        else:
            handler.send_response(204)
        handler.send_header("Content-Length", "0")
        handler.end_headers()

    counters = WebhookCounters()
    with webhook_server(answer) as (url, received):
        target = CallbackPolicy(["127.0.0.1"]).check(url)
        call = CallWebhook(target, counters, call_sid="CA1", backoff=0.05, max_backoff=0.2)
        callbacks = TranscriptionCallbacks("CA1", "AC1")
        sent = [callbacks.started()] + [callbacks.content("inbound", f"Sentence {i}.", 0.9, True)
                                        for i in range(5)] + [callbacks.stopped()]
        for fields in sent:
            call.send(fields)
        call.close()
    delivered = [fields for _, fields in received[3:]]  # the first three POSTs were answered 500
    assert [f["SequenceId"] for f in delivered] == [str(i) for i in range(1, 8)]
    assert delivered == sent
    assert all(kind == "application/x-www-form-urlencoded" for kind, _ in received)
    assert counters.snapshot() == {"delivered": 7, "retries": 3, "undelivered": 0, "refused": 0}


def test_a_webhook_that_never_answers_does_not_delay_another_call():
    hang = threading.Event()

    def never(handler, fields):
        hang.wait(10)

    def ok(handler, fields):
        handler.send_response(200)
        handler.send_header("Content-Length", "0")
        handler.end_headers()

    counters = WebhookCounters()
    threads = NewThreads()
    with webhook_server(never) as (dead_url, _), webhook_server(ok) as (good_url, received):
        policy = CallbackPolicy(["127.0.0.1"])
        dead = CallWebhook(policy.check(dead_url), counters, call_sid="CA-dead", timeout=2.0, drain_timeout=0.5)
        good = CallWebhook(policy.check(good_url), counters, call_sid="CA-good", timeout=2.0)
        dead_calls, good_calls = TranscriptionCallbacks("CA-dead"), TranscriptionCallbacks("CA-good")
        started = time.monotonic()
        for i in range(5):
            dead.send(dead_calls.content("inbound", f"lost {i}", 0.9, True))
            good.send(good_calls.content("inbound", f"kept {i}", 0.9, True))
        while len(received) < 5 and time.monotonic() - started < 5:
            time.sleep(0.01)
        elapsed = time.monotonic() - started
        assert [f["SequenceId"] for _, f in received] == ["1", "2", "3", "4", "5"]
        assert elapsed < 1.0  # well under one timeout of the dead webhook's requests
        good.close()
        dead.close()
        hang.set()
        closing = time.monotonic() - started
    assert closing < 0.5 + 2.0 + 1.0  # the drain time plus the request under way
    assert counters.delivered == 5 and counters.undelivered == 5
    deadline = time.monotonic() + 5  # the test servers' handler threads end once their requests do
    while threads.alive() and time.monotonic() < deadline:
        time.sleep(0.01)
    assert threads.alive() == []  # the senders' threads ended with their calls
