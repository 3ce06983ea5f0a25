"""Which webhook URLs the server may post transcripts to (``--telephony_callback_allow``).

A call's ``statusCallbackUrl`` is chosen by whoever set the call up; left unchecked, it would let them
make the server send requests anywhere its network reaches (its own admin ports, a cloud metadata
address, a database on the LAN). So a URL is refused unless:

* its scheme is http or https and it names a host;
* the host matches an allowed pattern: a name (``hooks.example.com``), a name with a leading wildcard
  for any subdomain (``*.example.com``), an address (``203.0.113.7``) or a network (``10.1.0.0/16``);
* every address the name resolves to is a public one, or one an allowed address or network pattern
  covers. Loopback, private, link-local (cloud metadata), multicast and reserved addresses are
  reachable only where an address or network pattern lists them: a name pattern alone never reaches
  them, so a DNS record pointing an allowed name at 127.0.0.1 does not open the server's own ports.

The sender connects to the address that was checked, so the name cannot resolve elsewhere in between.
"""

from __future__ import annotations

import ipaddress
import socket
import urllib.parse
from dataclasses import dataclass
from typing import Callable, Iterable, Optional

Address = ipaddress.IPv4Address | ipaddress.IPv6Address


class CallbackRefused(ValueError):
    """The URL may not be posted to; the reason says which rule refused it."""


@dataclass(frozen=True)
class Target:
    """A checked URL: where to connect (``address``) and what to ask for."""

    url: str
    scheme: str
    host: str
    port: int
    address: str
    path: str  # with the query


def _resolve(host: str, port: int) -> list[str]:
    return list(dict.fromkeys(info[4][0] for info in socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)))


class CallbackPolicy:
    def __init__(self, allow: Iterable[str] = (), resolve: Callable[[str, int], list[str]] = _resolve):
        self.names: list[str] = []
        self.networks: list[ipaddress.IPv4Network | ipaddress.IPv6Network] = []
        for pattern in allow:
            pattern = pattern.strip().lower().rstrip(".")
            if not pattern:
                continue
            try:
                self.networks.append(ipaddress.ip_network(pattern.strip("[]"), strict=False))
            except ValueError:
                if not _valid_name_pattern(pattern):
                    raise ValueError(f"--telephony_callback_allow: {pattern!r} is neither a host name, "
                                     "*.domain, an IP address nor a network") from None
                self.names.append(pattern)
        self._resolve = resolve

    @classmethod
    def trusting(cls, url: str, resolve: Callable[[str, int], list[str]] = _resolve) -> "CallbackPolicy":
        """A policy that allows ``url``'s host wherever it resolves now, internal addresses included: for
        the operator's own webhook (``--telephony_callback_url``), which no caller chose."""
        try:
            host = (urllib.parse.urlsplit(url).hostname or "").lower().rstrip(".")
        except ValueError:
            return cls((), resolve)
        allow = [host] if host else []
        if host and _address(host) is None:
            try:
                allow += [a.split("%")[0] for a in resolve(host, 0)]
            except OSError:
                pass  # check() refuses it and says why
        return cls(allow, resolve)

    def check(self, url: str) -> Target:
        """The target to connect to for ``url``; :class:`CallbackRefused` when it is not allowed."""
        try:
            parts = urllib.parse.urlsplit(url)
            port = parts.port or (443 if parts.scheme == "https" else 80)
        except ValueError as exc:
            raise CallbackRefused(f"callback URL {url!r} is malformed: {exc}") from None
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise CallbackRefused(f"callback URL {url!r} is not an http(s) URL with a host")
        host = parts.hostname.lower().rstrip(".")
        literal = _address(host)
        if literal is not None:
            if not self._network_allows(literal):
                raise CallbackRefused(f"callback host {host} is not in --telephony_callback_allow")
            addresses = [literal]
        else:
            if not any(_name_matches(pattern, host) for pattern in self.names):
                raise CallbackRefused(f"callback host {host} is not in --telephony_callback_allow")
            try:
                addresses = [ipaddress.ip_address(a.split("%")[0]) for a in self._resolve(host, port)]
            except OSError as exc:
                raise CallbackRefused(f"callback host {host} does not resolve: {exc}") from None
            if not addresses:
                raise CallbackRefused(f"callback host {host} does not resolve")
            inside = [a for a in addresses if not a.is_global and not self._network_allows(a)]
            if inside:
                raise CallbackRefused(f"callback host {host} resolves to {inside[0]}, an internal address "
                                      "that no --telephony_callback_allow address or network covers")
        path = parts.path or "/"
        if parts.query:
            path += "?" + parts.query
        return Target(url=url, scheme=parts.scheme, host=host, port=port, address=str(addresses[0]), path=path)

    def _network_allows(self, address: Address) -> bool:
        return any(address.version == net.version and address in net for net in self.networks)


def _address(host: str) -> Optional[Address]:
    try:
        return ipaddress.ip_address(host.strip("[]"))
    except ValueError:
        return None


def _name_matches(pattern: str, host: str) -> bool:
    if pattern.startswith("*."):
        return host.endswith(pattern[1:]) and len(host) > len(pattern) - 1
    return host == pattern


def _valid_name_pattern(pattern: str) -> bool:
    name = pattern[2:] if pattern.startswith("*.") else pattern
    labels = name.split(".")
    return bool(name) and all(label and len(label) <= 63 and all(c.isalnum() or c == "-" for c in label)
                              for label in labels)
