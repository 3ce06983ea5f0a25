"""The phone-call flags of ``run_server.py`` (/twilio, docs/telephony.md), and the allow-list they give."""

from __future__ import annotations

import argparse

from whisper_live.server.ops.environment import add_list_flag


def add_telephony_flags(parser: argparse.ArgumentParser) -> None:
    """Phone calls on /twilio (docs/telephony.md)."""
    group = parser.add_argument_group("phone calls (Twilio Media Streams on /twilio, docs/telephony.md)")
    group.add_argument("--telephony_callback_url", metavar="URL", default=None,
                       help="webhook that gets the transcripts of calls whose stream names no "
                            "statusCallbackUrl parameter (Twilio's Real-Time Transcription status callbacks). "
                            "Its host is allowed without --telephony_callback_allow. Default: none (such "
                            "calls are refused)")
    add_list_flag(group, "--telephony_callback_allow", metavar="HOSTS",
                  help="hosts a call's own statusCallbackUrl may be on, comma-separated or repeated: names, "
                       "*.example.com, addresses or networks (10.1.0.0/16); an internal address only when "
                       "listed as one. Default: only the --telephony_callback_url host")
    group.add_argument("--telephony_callback_drain_timeout", type=float, default=10.0, metavar="SECONDS",
                       help="once a call has ended, its callbacks still waiting (the webhook slow, failing or "
                            "down) are tried for at most this many more seconds, then given up (logged with "
                            "their transcript and counted in /metrics)")
    group.add_argument("--twilio_auth_token", metavar="TOKEN", default=None,
                       help="your Twilio account's auth token: /twilio streams must carry a valid "
                            "X-Twilio-Signature (or, with API keys on, ?token=KEY). Prefer the environment "
                            "variable. Default: not checked")


def telephony_allow(values) -> tuple:
    """The --telephony_callback_allow patterns; ValueError names one that is not a host, address or network."""
    from whisper_live.telephony.callback_policy import CallbackPolicy

    allow = tuple(h.strip() for v in values or () for h in v.split(",") if h.strip())
    CallbackPolicy(allow)
    return allow
