"""The per-call sender's logic with a scripted webhook: order, retries, giving up, draining, its thread."""

import logging
import threading
import time

from whisper_live.telephony.callback_policy import Target
from whisper_live.telephony.transcription_callbacks import TranscriptionCallbacks
from whisper_live.telephony.webhook import CallWebhook, WebhookCounters
from tests.threads import NewThreads

TARGET = Target("http://hooks.example.com/t", "http", "hooks.example.com", 80, "93.184.216.34", "/t")


class ScriptedWebhook:
    """Answers from a script of statuses (or exceptions), then 204; records what it took."""

    def __init__(self, *script):
        self.script = list(script)
        self.received: list[str] = []
        self.attempts = 0
        self.lock = threading.Lock()

    def __call__(self, target, fields, timeout):
        with self.lock:
            self.attempts += 1
            answer = self.script.pop(0) if self.script else 204
        if isinstance(answer, BaseException):
            raise answer
        if callable(answer):
            return answer()
        if 200 <= answer < 300:
            self.received.append(fields["SequenceId"])
        return answer


def sender(post, counters, **kwargs):
    return CallWebhook(TARGET, counters, call_sid="CA1", post=post, backoff=0.01, max_backoff=0.02, **kwargs)


def contents(n):
    calls = TranscriptionCallbacks("CA1")
    return [calls.content("inbound", f"text {i}", 0.9, True) for i in range(n)]


def test_retries_on_5xx_timeouts_and_refused_connections_keep_the_order():
    webhook, counters = ScriptedWebhook(500, TimeoutError("timed out"), ConnectionRefusedError(), 503), \
        WebhookCounters()
    call = sender(webhook, counters)
    for fields in contents(5):
        call.send(fields)
    call.close()
    assert webhook.received == ["1", "2", "3", "4", "5"]
    assert counters.snapshot() == {"delivered": 5, "retries": 4, "undelivered": 0, "refused": 0}


def test_a_4xx_is_not_retried_and_is_logged_with_its_text(caplog):
    webhook, counters = ScriptedWebhook(404), WebhookCounters()
    call = sender(webhook, counters)
    with caplog.at_level(logging.WARNING, logger="whisper_live.telephony.webhook"):
        for fields in contents(2):
            call.send(fields)
        call.close()
    assert webhook.received == ["2"] and webhook.attempts == 2
    assert counters.undelivered == 1 and "HTTP 404" in caplog.text and "'text 0'" in caplog.text


def test_attempts_run_out_and_the_next_callback_still_goes():
    webhook, counters = ScriptedWebhook(*[500] * 3), WebhookCounters()
    call = sender(webhook, counters, max_attempts=3)
    for fields in contents(2):
        call.send(fields)
    call.close()
    assert webhook.received == ["2"] and counters.undelivered == 1 and counters.retries == 2


def test_close_gives_up_a_dead_webhook_after_the_drain_time(caplog):
    release = threading.Event()
    webhook, counters = ScriptedWebhook(*[lambda: release.wait(0.3) and 204 or 500] * 50), WebhookCounters()
    call = sender(webhook, counters, drain_timeout=0.2)
    for fields in contents(3):
        call.send(fields)
    started = time.monotonic()
    with caplog.at_level(logging.WARNING, logger="whisper_live.telephony.webhook"):
        call.close()
    assert time.monotonic() - started < 0.2 + 0.3 + 0.5  # the drain time, plus the attempt under way
    assert counters.undelivered == 3 and counters.delivered == 0
    assert caplog.text.count("not delivered") == 3
    call.send(contents(1)[0])  # after close: given up at once, with a trace
    assert counters.undelivered == 4


def test_send_never_blocks_and_every_thread_ends_with_its_call():
    threads = NewThreads()
    gate = threading.Event()
    counters = WebhookCounters()
    calls = [sender(ScriptedWebhook(*[lambda: gate.wait(5) and 204] * 3), counters) for _ in range(4)]
    started = time.monotonic()
    for call in calls:
        for fields in contents(3):
            call.send(fields)
    assert time.monotonic() - started < 0.5  # every webhook is stuck, and sending did not wait
    assert threads.count() == 4  # one sender thread a call
    gate.set()
    for call in calls:
        call.close()
    assert threads.alive() == []
    assert counters.delivered == 12
    idle = sender(ScriptedWebhook(), counters)
    idle.close()  # a call that sent nothing started no thread
    assert threads.alive() == []
