"""Shared fixtures: a real server on 127.0.0.1, test speech, and the shared recordings when present."""

from __future__ import annotations

import csv
import os
import shutil
import subprocess
from pathlib import Path

import pytest

from tests.server_process import ServerProcess

SHARED_AUDIO = Path(__file__).resolve().parent.parent.parent / "shared" / "audio"


@pytest.fixture(scope="session")
def live_server():
    """The real server with the bundled tiny.en model, shared by the tests of a session."""
    server = ServerProcess("--max_clients", "8", "--no_admission_control")
    yield server
    server.stop()


@pytest.fixture(scope="module")
def start_server():
    """Factory: ``start_server(*extra_args)`` starts another server; a test file's are stopped when its tests
    are done (a whole suite's would otherwise hold their models and threads to its end)."""
    started = []

    def start(*args: str) -> ServerProcess:
        server = ServerProcess(*args)
        started.append(server)
        return server

    yield start
    for server in started:
        server.stop()


def audioeval_clip(language: str, name: str) -> tuple[Path, str]:
    """A short clip from pytest-audioeval and its reference text."""
    import pytest_audioeval

    root = Path(list(pytest_audioeval.__path__)[0]) / "samples" / "audio" / language
    return root / f"{name}.wav", (root / f"{name}.txt").read_text(encoding="utf-8").strip()


@pytest.fixture(scope="session")
def espeak(tmp_path_factory):
    """``espeak(text) -> Path`` of a 16 kHz mono WAV of that text (cached per text)."""
    if shutil.which("espeak-ng") is None:
        pytest.fail("espeak-ng is not installed (apt-get install espeak-ng): .ci/run installs it")
    folder = tmp_path_factory.mktemp("espeak")
    cache: dict = {}

    def speak(text: str, voice: str = "en-us", speed: int = 150) -> Path:
        key = (text, voice, speed)
        if key not in cache:
            raw = folder / f"raw{len(cache)}.wav"
            out = folder / f"speech{len(cache)}.wav"
            subprocess.run(["espeak-ng", "-v", voice, "-s", str(speed), "-w", str(raw), text], check=True)
            import numpy as np
            import soundfile as sf
            from faster_whisper.audio import decode_audio

            sf.write(out, decode_audio(str(raw)).astype(np.float32), 16000)
            cache[key] = out
        return cache[key]

    return speak


def shared_manifest() -> list[dict]:
    """Rows of ../shared/audio/manifest.tsv, or skip the test when the recordings are not there."""
    manifest = SHARED_AUDIO / "manifest.tsv"
    if not manifest.exists():
        pytest.skip("../shared/audio is not present beside this checkout")
    with open(manifest, newline="", encoding="utf-8") as f:
        return list(csv.DictReader(f, delimiter="\t"))


@pytest.fixture(scope="session")
def certificate(tmp_path_factory):
    """(certificate, key): a self-signed PEM pair for localhost and 127.0.0.1, valid for a day."""
    if shutil.which("openssl") is None:
        pytest.fail("openssl is not installed (apt-get install openssl): scripts/test.sh installs it")
    folder = tmp_path_factory.mktemp("tls")
    cert, key = folder / "cert.pem", folder / "key.pem"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1",
                    "-nodes", "-keyout", str(key), "-out", str(cert), "-days", "1", "-subj", "/CN=localhost",
                    "-addext", "subjectAltName=DNS:localhost,IP:127.0.0.1"], check=True, capture_output=True)
    return cert, key
