"""TLS for the server's ports: one ``ssl.SSLContext`` from ``--ssl_certfile`` / ``--ssl_keyfile``.

The same context serves ``wss://`` and the page over ``https://`` on the WebSocket port, and ``https://`` on
the metrics port; an HTTP layer (uvicorn) takes the two files themselves.
"""

from __future__ import annotations

import ssl
from typing import Optional


class TlsConfigError(ValueError):
    """The certificate or key cannot be used; the message says which and why."""


def server_ssl_context(certfile: Optional[str], keyfile: Optional[str] = None) -> Optional[ssl.SSLContext]:
    """A server context for ``certfile`` (PEM, the chain after the certificate) and ``keyfile``.

    None without a certificate. ``keyfile`` may be omitted when the key is in ``certfile``. TLS 1.2 at least.
    """
    if not certfile:
        if keyfile:
            raise TlsConfigError("--ssl_keyfile needs --ssl_certfile")
        return None
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    try:
        context.load_cert_chain(certfile, keyfile or None)
    except FileNotFoundError as exc:
        raise TlsConfigError(f"cannot read {exc.filename}: no such file") from None
    except (ssl.SSLError, OSError) as exc:
        raise TlsConfigError(f"cannot use certificate {certfile} with key {keyfile or certfile}: {exc}") from None
    return context
