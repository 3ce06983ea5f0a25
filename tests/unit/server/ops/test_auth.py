"""Access rules (whisper_live/server/ops/auth.py): API keys, origins, connections per address and the rate
limit, without a server."""

from __future__ import annotations

import pytest

from whisper_live.server.ops.auth import ApiKeys, ConnectionLimiter, OriginPolicy, RateLimiter, presented_key, read_keys


def test_keys_from_header_or_query_and_a_file(tmp_path):
    keys_file = tmp_path / "keys"
    keys_file.write_text("# team keys\nfile-key\n\n")
    keys = ApiKeys(read_keys(["flag-key"], str(keys_file)))
    assert keys.required and len(keys) == 2 and "flag-key" not in repr(keys) and "file-key" not in repr(keys)
    assert keys.allows("Bearer flag-key") and keys.allows("bearer  file-key ")
    assert keys.allows(None, "/?token=file-key") and keys.allows(None, "/?a=1&token=flag-key")
    assert not keys.allows(None, "/?token=file-key", query_token=False)
    assert not keys.allows("Bearer wrong") and not keys.allows(None, "/") and not keys.allows("Basic flag-key")
    assert not keys.allows("Bearer flag-ke") and not keys.allows("Bearer flag-key2")
    assert presented_key("Bearer a", "/?token=b") == "a"
    assert ApiKeys().allows(None, "/"), "no keys configured: no key needed"


def test_origins_default_to_own_host_and_localhost():
    default = OriginPolicy.parse(None)
    assert default.allows(None, "example.com:9090"), "non-browser clients send no Origin"
    assert default.allows("https://speech.example.com", "speech.example.com:9090")
    assert default.allows("http://localhost:3000", "10.0.0.5:9090")
    assert default.allows("http://[::1]:8080", "10.0.0.5:9090") and default.allows("http://127.0.0.1", None)
    assert not default.allows("https://evil.example.net", "speech.example.com:9090")
    assert not default.allows("null", "speech.example.com")
    assert default.allows("chrome-extension://abcdefghijklmnop", "speech.example.com")
    assert default.allows("moz-extension://0b9a7c3e-1111-2222-3333-444455556666", "speech.example.com")
    listed = OriginPolicy.parse(["https://app.example.com, http://localhost:8000"])
    assert listed.allows("https://app.example.com/", "x") and listed.allows("http://localhost:8000", "x")
    assert not listed.allows("http://localhost:3000", "localhost:9090"), "a list replaces the default"
    assert OriginPolicy.parse(["*"]).allows("https://anything.example", "x")


def test_connection_limiter_counts_per_address():
    limiter = ConnectionLimiter(2)
    assert limiter.acquire("a") and limiter.acquire("a") and not limiter.acquire("a")
    assert limiter.acquire("b")
    limiter.release("a")
    assert limiter.acquire("a") and limiter.open_from("a") == 2
    unlimited = ConnectionLimiter(0)
    assert all(unlimited.acquire("a") for _ in range(100))


def test_rate_limiter_refills_evenly():
    now = [0.0]
    limiter = RateLimiter(60, clock=lambda: now[0])  # one a second, a burst of 60
    assert all(limiter.check("a")[0] for _ in range(60))
    allowed, retry = limiter.check("a")
    assert not allowed and retry == pytest.approx(1.0)
    assert limiter.check("b")[0], "each address has its own budget"
    now[0] += 1.0
    assert limiter.check("a")[0] and not limiter.check("a")[0]
    assert RateLimiter(0).check("a") == (True, 0.0)
