"""The browser page served by the server: ``http.process_request`` answers plain HTTP GETs with ``static/``."""

from pathlib import Path

STATIC_DIR = Path(__file__).resolve().parent / "static"
