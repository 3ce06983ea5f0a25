"""The callback allow-list: only allowed hosts, and internal addresses only where listed."""

import pytest

from whisper_live.telephony.callback_policy import CallbackPolicy, CallbackRefused

DNS = {"hooks.example.com": ["93.184.216.34"], "rebind.example.com": ["127.0.0.1"],
       "lan.example.com": ["10.1.2.3"], "mixed.example.com": ["93.184.216.34", "192.168.0.9"],
       "metadata.example.com": ["169.254.169.254"]}


def policy(*allow):
    return CallbackPolicy(allow, resolve=lambda host, port: DNS[host])


def test_allowed_names_and_wildcards_resolve_to_a_checked_address():
    target = policy("*.example.com").check("https://hooks.example.com/t?x=1")
    assert (target.host, target.port, target.address, target.path) == ("hooks.example.com", 443, "93.184.216.34",
                                                                      "/t?x=1")
    assert policy("hooks.example.com").check("http://HOOKS.example.com:8080").port == 8080


@pytest.mark.parametrize("url, reason", [
    ("https://other.org/t", "not in --telephony_callback_allow"),
    ("https://example.com/t", "not in --telephony_callback_allow"),  # *.example.com is subdomains only
    ("ftp://hooks.example.com/t", "not an http"),
    ("http:///path", "not an http"),
    ("https://rebind.example.com/t", "resolves to 127.0.0.1, an internal address"),
    ("https://lan.example.com/t", "internal address"),
    ("https://mixed.example.com/t", "resolves to 192.168.0.9"),
    ("https://metadata.example.com/t", "internal address"),
    ("http://127.0.0.1:9090/metrics", "not in --telephony_callback_allow"),
    ("http://[::1]/", "not in --telephony_callback_allow"),
])
def test_refused_urls_say_why(url, reason):
    with pytest.raises(CallbackRefused, match=reason):
        policy("*.example.com").check(url)


def test_internal_addresses_only_where_an_address_or_network_is_listed():
    assert policy("127.0.0.1").check("http://127.0.0.1:8000/hook").address == "127.0.0.1"
    assert policy("*.example.com", "10.0.0.0/8").check("https://lan.example.com/").address == "10.1.2.3"
    with pytest.raises(CallbackRefused):
        policy("10.0.0.0/8").check("https://lan.example.com/")  # the name itself is not allowed
    assert policy("::1").check("http://[::1]:8000/").address == "::1"


def test_nothing_is_allowed_by_default_and_bad_patterns_are_refused():
    with pytest.raises(CallbackRefused):
        CallbackPolicy().check("https://hooks.example.com/")
    with pytest.raises(ValueError, match="neither a host name"):
        CallbackPolicy(["https://hooks.example.com/"])


def test_a_trusting_policy_reaches_the_operators_host_wherever_it_resolves():
    from whisper_live.telephony.callback_policy import CallbackPolicy

    policy = CallbackPolicy.trusting("http://hooks.internal:8080/x", resolve=lambda host, port: ["10.9.8.7"])
    assert policy.check("http://hooks.internal:8080/x").address == "10.9.8.7"
    assert CallbackPolicy.trusting("http://127.0.0.1:9/x").check("http://127.0.0.1:9/x").port == 9
