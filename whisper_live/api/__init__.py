"""The OpenAI-compatible speech API (``--enable_rest``): file transcription and translation over REST, live
text over the Realtime WebSocket, on the models and schedulers the WebSocket clients use (docs/api.md).

FastAPI, uvicorn and python-multipart are imported only when the API is started.
"""

from __future__ import annotations


def start_api(server, *, host: str, port: int, max_upload_mb: float, **options):
    """Serve the API for ``server`` (a TranscriptionServer) on ``host:port`` in a thread; the ApiServer."""
    import time

    from whisper_live.api.http_thread import ApiServer

    api = ApiServer(server, host=host, port=port, max_upload_mb=max_upload_mb, **options).start()
    if hasattr(server, "drain_hooks"):  # the server's drain (SIGTERM) drains the API too, by its deadline
        server.drain_hooks.append(lambda deadline: api.drain(max(0.0, deadline - time.monotonic())))
    return api
