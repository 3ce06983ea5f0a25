"""What HAProxy's agent-check does: connect to a server's agent port and read its one-line reply."""

import socket


def ask(port: int) -> str:
    with socket.create_connection(("127.0.0.1", port), timeout=5) as s:
        s.sendall(b"whisper_live/node1\n")  # what haproxy.cfg's agent-send would say: ignored
        data = b""
        while chunk := s.recv(100):
            data += chunk
    return data.decode()
