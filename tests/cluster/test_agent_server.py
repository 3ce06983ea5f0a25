"""The real server's HAProxy agent (--agent_port): what it says as clients come and go; a port it
cannot have."""

import socket
import subprocess
import sys
import time

from tests.agent_check import ask
from tests.server_process import ROOT, ServerProcess, free_port
from tests.ws_session import load_audio, stream


def test_the_agent_says_ready_then_drain_while_the_only_place_is_taken(espeak):
    agent_port = free_port()
    server = ServerProcess("--max_clients", "1", "--agent_port", str(agent_port))
    try:
        assert ask(agent_port) == "up ready 100%\n"
        audio = load_audio(espeak("Hello there."))
        seen = []
        stream(server.url, audio, language="en", uid="only", on_ready=lambda: seen.append(ask(agent_port)))
        assert seen == ["up drain 100%\n"]
        deadline = time.monotonic() + 30
        while ask(agent_port) != "up ready 100%\n" and time.monotonic() < deadline:
            time.sleep(0.2)  # the server removes the client as its connection closes
        assert ask(agent_port) == "up ready 100%\n"
    finally:
        server.stop()


def test_a_taken_agent_port_stops_the_server_with_a_message():
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        done = subprocess.run([sys.executable, str(ROOT / "run_server.py"), "--host", "127.0.0.1", "--port",
                               str(free_port()), "--agent_port", str(port)],
                              capture_output=True, text=True, timeout=300, cwd=ROOT)
    assert done.returncode == 2
    assert f"the HAProxy agent cannot listen on port {port}" in done.stderr
