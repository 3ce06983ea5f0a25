"""The server's phone calls: which connections are calls, where their callbacks may go, what /metrics counts.

:class:`PhoneCalls` lives as long as the server; each Media Streams connection on ``/twilio`` is served by a
:class:`~whisper_live.server.session.twilio_call.TwilioCall`.
"""

from __future__ import annotations

import urllib.parse
from typing import Optional

from whisper_live.server.session.twilio_call import TwilioCall
from whisper_live.telephony.callback_policy import CallbackPolicy, CallbackRefused, Target
from whisper_live.telephony.media_stream import STREAM_PATH
from whisper_live.telephony.webhook import WebhookCounters


def is_call(websocket) -> bool:
    """Whether this connection came for ``/twilio``."""
    request = getattr(websocket, "request", None)
    return request is not None and request.path.split("?", 1)[0].rstrip("/") == STREAM_PATH


class PhoneCalls:
    """The server's phone calls: the callback allow-list, the webhook counters (in /metrics), serving each."""

    def __init__(self, server, **webhook_options):
        """``webhook_options``: keyword arguments of every call's :class:`CallWebhook` (timeouts, backoff)."""
        config = server.config
        self.server = server
        self.counters = WebhookCounters()
        self.default_url = config.telephony_callback_url
        host = urllib.parse.urlsplit(self.default_url).hostname if self.default_url else None
        # the default webhook's host is allowed for the calls' own URLs too (by name: public addresses only)
        self.policy = CallbackPolicy(list(config.telephony_callback_allow) + ([host] if host else []))
        self.webhook_options = {"drain_timeout": config.telephony_callback_drain_timeout, **webhook_options}
        server.metrics.watch_telephony(self.counters)

    def target(self, url: Optional[str]) -> Target:
        """Where a call's callbacks go; :class:`CallbackRefused` when nowhere allowed."""
        if not url:
            raise CallbackRefused("the stream has no statusCallbackUrl parameter and the server no "
                                  "--telephony_callback_url")
        if url == self.default_url:  # the operator's own webhook: wherever it resolves
            return CallbackPolicy.trusting(url).check(url)
        return self.policy.check(url)

    def serve(self, websocket) -> None:
        TwilioCall(self, websocket).run()
