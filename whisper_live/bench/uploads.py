"""Files uploaded through the OpenAI-compatible API (``--enable_rest``) while the live clients stream.

:class:`Uploader` posts each file to ``/v1/audio/transcriptions`` in turn, from a thread, again and again
until it is stopped (or once each), and records per upload how long it took against the audio's length
(the real-time factor) and the WER of its text when the reference is known. Plain ``http.client``: the
benchmark needs no HTTP library of its own.
"""

from __future__ import annotations

import http.client
import json
import os
import threading
import time
import uuid
from dataclasses import dataclass
from typing import Optional
from urllib.parse import urlsplit

from whisper_live import wer as wer_mod


@dataclass
class Upload:
    """One file to upload: its path, its length in seconds, and its reference text if known."""

    path: str
    seconds: float
    reference: Optional[str] = None


def transcribe_file(api_url: str, path: str, model: str = "whisper-1", timeout: float = 3600.0,
                    **fields: str) -> tuple[int, dict]:
    """POST ``path`` to ``{api_url}/audio/transcriptions``; (HTTP status, JSON body)."""
    boundary = uuid.uuid4().hex
    with open(path, "rb") as f:
        data = f.read()
    parts = []
    for name, value in {"model": model, **fields}.items():
        parts.append(f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n{value}\r\n'.encode())
    parts.append(f'--{boundary}\r\nContent-Disposition: form-data; name="file"; '
                 f'filename="{os.path.basename(path)}"\r\nContent-Type: application/octet-stream\r\n\r\n'.encode())
    body = b"".join(parts) + data + f"\r\n--{boundary}--\r\n".encode()
    url = urlsplit(api_url.rstrip("/") + "/audio/transcriptions")
    connection = (http.client.HTTPSConnection if url.scheme == "https" else http.client.HTTPConnection)(
        url.hostname, url.port, timeout=timeout)
    try:
        connection.request("POST", url.path, body=body,
                           headers={"Content-Type": f"multipart/form-data; boundary={boundary}"})
        response = connection.getresponse()
        return response.status, json.loads(response.read() or b"{}")
    finally:
        connection.close()


class Uploader:
    """Uploads ``uploads`` in turn from a thread while a run goes on; ``loop``: again until stopped."""

    def __init__(self, api_url: str, uploads: list[Upload], loop: bool = True, model: str = "whisper-1"):
        self.api_url, self.uploads, self.loop, self.model = api_url, uploads, loop, model
        self.records: list[dict] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="bench-uploads", daemon=True)

    def start(self) -> "Uploader":
        self._thread.start()
        return self

    def _run(self) -> None:
        while not self._stop.is_set():
            for upload in self.uploads:
                if self._stop.is_set():
                    return
                began = time.monotonic()
                try:
                    status, body = transcribe_file(self.api_url, upload.path, self.model)
                except (OSError, ValueError) as exc:
                    status, body = 0, {"error": {"message": f"{type(exc).__name__}: {exc}"}}
                took = time.monotonic() - began
                record = {"file": os.path.basename(upload.path), "status": status, "seconds": round(took, 2),
                          "audio_s": round(upload.seconds, 2), "rtf": round(took / upload.seconds, 3)}
                if status == 200 and upload.reference is not None:
                    record["wer"] = round(wer_mod.wer(upload.reference, body.get("text", "")), 4)
                elif status != 200:
                    record["error"] = (body.get("error") or {}).get("message")
                self.records.append(record)
            if not self.loop:
                return

    def stop(self, wait: float = 0.0) -> list[dict]:
        """Stop after the upload in progress (waiting up to ``wait`` s for it); the records so far."""
        self._stop.set()
        self._thread.join(wait)
        return list(self.records)


def start(args) -> Optional[Uploader]:
    """The Uploader of the benchmark's ``--upload`` files, started (None without any)."""
    if not args.upload:
        return None
    from whisper_live.bench.audio import load_speech

    references = list(args.upload_reference or []) + [None] * len(args.upload)
    uploads = []
    for path, reference in zip(args.upload, references):
        if reference and os.path.isfile(reference):
            with open(reference, encoding="utf-8") as f:
                reference = f.read().strip()
        speech = load_speech(path, reference)  # (its reference from ../shared or NAME.txt when none is given)
        uploads.append(Upload(path, speech.duration, speech.reference))
    return Uploader(args.api_url or f"http://{args.host}:8000/v1", uploads).start()
