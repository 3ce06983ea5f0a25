"""``python -m whisper_live.server.ops.healthcheck``: exit 0 when this machine's server answers /health with 200.

For a container's HEALTHCHECK (the images have no curl). It reads the server's own settings from the
environment, as the server does: ``WHISPER_LIVE_PORT`` (9090) and, when ``WHISPER_LIVE_SSL_CERTFILE`` is set,
https (the certificate is issued for the service's name, not for localhost, so it is not verified here).
"""

from __future__ import annotations

import os
import ssl
import sys
import urllib.request


def main() -> int:
    port = os.environ.get("WHISPER_LIVE_PORT", "9090")
    tls = bool(os.environ.get("WHISPER_LIVE_SSL_CERTFILE"))
    context = None
    if tls:
        context = ssl.create_default_context()
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
    url = f"{'https' if tls else 'http'}://127.0.0.1:{port}/health"
    try:
        with urllib.request.urlopen(url, timeout=5, context=context) as reply:
            return 0 if reply.status == 200 else 1
    except OSError as exc:
        print(f"{url}: {exc}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
