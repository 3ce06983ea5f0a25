"""A real server with the API enabled on 127.0.0.1 (tiny.en), and the official openai client for it."""

from __future__ import annotations

import pytest

from tests.server_process import ServerProcess, free_port

MAX_UPLOAD_MB = 1  # small, so that the refusal of a larger file is cheap to test


class ApiServerProcess(ServerProcess):
    """The server with ``--enable_rest`` on a free port of its own."""

    def __init__(self, *args: str):
        self.rest_port = free_port()
        super().__init__("--enable_rest", "--rest_port", str(self.rest_port), *args)

    @property
    def base_url(self) -> str:
        return f"http://{self.host}:{self.rest_port}/v1"

    @property
    def realtime_url(self) -> str:
        return f"ws://{self.host}:{self.rest_port}/v1/realtime?intent=transcription"


@pytest.fixture(scope="session")
def api_server():
    server = ApiServerProcess("--max_upload_mb", str(MAX_UPLOAD_MB), "--max_clients", "8",
                              "--no_admission_control")
    yield server
    server.stop()


def openai_client(server):
    import openai

    return openai.OpenAI(base_url=server.base_url, api_key="not-needed", max_retries=0, timeout=300)


@pytest.fixture(scope="session")
def client(api_server):
    return openai_client(api_server)
