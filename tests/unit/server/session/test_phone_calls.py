"""Which connections are calls, and where a call's callbacks may go."""

import pytest

from tests.unit.server.session.call_fakes import CallSocket, FakeServer
from whisper_live.server.config import ServerConfig
from whisper_live.server.session.phone_calls import PhoneCalls, is_call
from whisper_live.telephony.callback_policy import CallbackRefused


def calls(url=None, allow=()):
    return PhoneCalls(FakeServer(ServerConfig(telephony_callback_url=url, telephony_callback_allow=tuple(allow))))


def test_calls_are_the_connections_to_twilio():
    assert is_call(CallSocket("/twilio")) and is_call(CallSocket("/twilio/?token=k"))
    assert not is_call(CallSocket("/")) and not is_call(CallSocket("/twilio2"))
    assert not is_call(object())


def test_the_operators_webhook_is_reached_even_on_an_internal_address():
    target = calls("http://localhost:8080/hook").target("http://localhost:8080/hook")
    assert target.address in ("127.0.0.1", "::1") and target.port == 8080


def test_a_calls_own_url_on_the_operators_host_must_still_resolve_to_public_addresses():
    with pytest.raises(CallbackRefused, match="internal"):
        calls("http://localhost:8080/hook").target("http://localhost:22/")


def test_without_any_url_or_outside_the_list_a_call_has_no_target():
    with pytest.raises(CallbackRefused, match="statusCallbackUrl"):
        calls().target(None)
    with pytest.raises(CallbackRefused, match="allow"):
        calls(allow=["10.0.0.0/8"]).target("http://192.168.1.1/")
    assert calls(allow=["10.0.0.0/8"]).target("http://10.1.2.3/x?y=1").path == "/x?y=1"


def test_the_webhook_counters_are_in_the_metrics():
    phone = calls()
    phone.counters.add("undelivered", 2)
    body = phone.server.metrics.exposition()[0].decode()
    assert 'whisperlive_telephony_callbacks_total{outcome="undelivered"} 2.0' in body


def test_every_calls_webhook_gets_the_configured_drain_timeout():
    server = FakeServer(ServerConfig(telephony_callback_drain_timeout=2.5))
    assert PhoneCalls(server).webhook_options == {"drain_timeout": 2.5}
    assert PhoneCalls(server, drain_timeout=1.0, backoff=0.1).webhook_options == {"drain_timeout": 1.0, "backoff": 0.1}
