"""The OpenAI-compatible speech API (``--enable_rest``): file transcription and translation over REST, live
text over the Realtime WebSocket, on the models and schedulers the WebSocket clients use (docs/api.md).

FastAPI, uvicorn and python-multipart are imported only when the API is started.
"""

from __future__ import annotations


def start_api(server, *, host: str, port: int, max_upload_mb: float, **options):
    """Serve the API for ``server`` (a TranscriptionServer) on ``host:port`` in a thread; the ApiServer."""
    from whisper_live.api.runner import ApiServer

    return ApiServer(server, host=host, port=port, max_upload_mb=max_upload_mb, **options).start()
