"""``X-Twilio-Signature``: Twilio's HMAC-SHA1 of a request, keyed with the account's auth token.

Twilio signs the full URL it called (scheme, host, path and query) followed by each POST parameter's
name and value, sorted by name, with no separators; the header is the base64 of the digest. A WebSocket
upgrade (Media Streams) has no POST body, so its signature covers the URL alone. Proxies in front of the
server may add or drop the default port, so both spellings of the URL are accepted.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import urllib.parse
from typing import Mapping, Optional

HEADER = "X-Twilio-Signature"


def signature(auth_token: str, url: str, params: Optional[Mapping[str, str]] = None) -> str:
    """The header value Twilio sends for ``url`` and the POST ``params``."""
    data = url + "".join(f"{name}{params[name]}" for name in sorted(params or {}))
    digest = hmac.new(auth_token.encode(), data.encode(), hashlib.sha1).digest()
    return base64.b64encode(digest).decode("ascii")


def is_valid(auth_token: str, header: Optional[str], url: str, params: Optional[Mapping[str, str]] = None) -> bool:
    """True when ``header`` is Twilio's signature of this request (compared in constant time)."""
    if not auth_token or not header:
        return False
    return any(hmac.compare_digest(signature(auth_token, candidate, params).encode(), header.strip().encode())
               for candidate in _spellings(url))


def is_valid_stream(auth_token: str, header: Optional[str], host: str, target: str) -> bool:
    """True when ``header`` signs a Media Streams upgrade to ``target`` (path and query) on ``host`` (the
    request's Host header). Twilio signs the ``wss://`` URL it called; behind a proxy that ends TLS the
    server sees ``ws://``, so both schemes are tried."""
    return bool(host) and any(is_valid(auth_token, header, f"{scheme}://{host}{target}") for scheme in ("wss", "ws"))


def _spellings(url: str) -> list[str]:
    """The URL as given, and with its scheme's default port added or removed."""
    parts = urllib.parse.urlsplit(url)
    default = {"https": 443, "wss": 443, "http": 80, "ws": 80}.get(parts.scheme)
    if default is None or not parts.hostname:
        return [url]
    host = parts.hostname if ":" not in parts.hostname else f"[{parts.hostname}]"
    if parts.port is None:
        other = parts._replace(netloc=f"{host}:{default}")
    elif parts.port == default:
        other = parts._replace(netloc=host)
    else:
        return [url]
    return [url, urllib.parse.urlunsplit(other)]
