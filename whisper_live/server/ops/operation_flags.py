"""The server's flags for operating it: who may connect, TLS, metrics, logs (see README "Operating it")."""

from __future__ import annotations

import argparse

from whisper_live.server.ops.environment import add_list_flag


def add_operation_flags(parser: argparse.ArgumentParser) -> None:
    group = parser.add_argument_group("operating it (access, TLS, metrics, logs)")
    add_list_flag(group, "--api_key", metavar="KEY",
                  help="a key clients must present: WebSocket clients as 'Authorization: Bearer KEY' or "
                       "'?token=KEY', REST clients as the Bearer header; others get HTTP 401. Repeat it "
                       "for several keys (the environment variable takes a comma-separated list). "
                       "Default: no key needed")
    group.add_argument("--api_keys_file", metavar="FILE", default=None,
                       help="a file of keys, one a line ('#' comments), beside any --api_key")
    group.add_argument("--status_requires_key", action="store_true",
                       help="/ready and /metrics need the API key too (/health never does)")
    add_list_flag(group, "--cors-origins", "--cors_origins", dest="cors_origins", metavar="ORIGINS",
                  help="browser origins allowed to connect (WebSocket upgrades and REST), comma-separated "
                       "or repeated, e.g. https://app.example.com; '*' allows any. Clients that send no "
                       "Origin (non-browsers) are not affected. Default: this server's own host, "
                       "localhost and browser extensions")
    group.add_argument("--max_connections_per_ip", type=int, default=0, metavar="N",
                       help="most WebSocket connections open at once from one client address (0: no limit)")
    group.add_argument("--options_timeout", type=float, default=10.0, metavar="SECONDS",
                       help="a WebSocket connection that sends no options within this many seconds of "
                            "connecting is closed (1008, 'no options received')")
    group.add_argument("--rate_limit_rpm", type=int, default=0, metavar="N",
                       help="REST: most requests per minute from one client address (0: no limit)")
    group.add_argument("--ssl_certfile", metavar="PEM", default=None,
                       help="serve wss:// and https:// (page, REST, metrics) with this certificate (PEM, "
                            "chain after it)")
    group.add_argument("--ssl_keyfile", metavar="PEM", default=None,
                       help="the certificate's private key (PEM; omit when it is in --ssl_certfile)")
    group.add_argument("--metrics_port", type=int, default=None, metavar="PORT",
                       help="also serve /metrics (and /health, /ready) on this port. /metrics is always on "
                            "the main port. Default: not")
    group.add_argument("--log_format", choices=("text", "json"), default="text",
                       help="log lines as text, or as one JSON object per line")


def operation_config(args) -> dict:
    """ServerConfig's fields from these flags (the keys file is read here: a bad one stops the start)."""
    from whisper_live.server.ops.auth import read_keys

    keys = read_keys([k.strip() for k in args.api_key or ()], args.api_keys_file)
    origins = [o.strip() for v in args.cors_origins or () for o in v.split(",") if o.strip()]
    return dict(api_keys=tuple(keys), cors_origins=tuple(origins) or None, rate_limit_rpm=max(0, args.rate_limit_rpm),
                max_connections_per_ip=max(0, args.max_connections_per_ip),
                options_timeout=max(0.1, args.options_timeout),
                status_requires_key=args.status_requires_key, ssl_certfile=args.ssl_certfile,
                ssl_keyfile=args.ssl_keyfile, metrics_port=args.metrics_port)
