"""A minimal RTSP server for tests: one audio track, 16 kHz L16 (RFC 3551), RTP interleaved over TCP.

FFmpeg's RTSP client (and so PyAV) plays it: OPTIONS, DESCRIBE (SDP), SETUP with TCP interleaving, PLAY,
then RTP packets framed as ``$ channel length`` on the same connection. UDP transport is answered with
461 so that the client falls back to TCP. The audio is sent as fast as the socket takes it.

``parts`` is a list of float32 arrays: connection k plays ``parts[k]`` and then drops the connection
(a lost camera, a restarted relay). After the last part, connections are refused with 404.
"""

from __future__ import annotations

import random
import socket
import socketserver
import struct
import threading

import numpy as np

SDP = ("v=0\r\no=- 0 0 IN IP4 127.0.0.1\r\ns=test\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\n"
       "m=audio 0 RTP/AVP 96\r\na=rtpmap:96 L16/16000/1\r\na=control:track1\r\n")
SAMPLES_PER_PACKET = 320  # 20 ms


class RtspServer:
    def __init__(self, parts: list[np.ndarray], path: str = "/live"):
        self.parts = list(parts)
        self.path = path
        self.plays = 0           # PLAY requests served
        self.requests: list[str] = []
        outer = self

        class Handler(socketserver.BaseRequestHandler):
            def handle(self):
                outer._serve(self.request)

        class Server(socketserver.ThreadingTCPServer):
            daemon_threads = True
            allow_reuse_address = True

        self._server = Server(("127.0.0.1", 0), Handler)
        self.port = self._server.server_address[1]
        self.url = f"rtsp://127.0.0.1:{self.port}{path}"
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    def __enter__(self) -> "RtspServer":
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._server.shutdown()
        self._server.server_close()

    # --- one connection -------------------------------------------------------------------------------

    def _serve(self, sock: socket.socket) -> None:
        reader = sock.makefile("rb")
        session = f"{random.randrange(1 << 30):x}"
        while True:
            request = _read_request(reader)
            if request is None:
                return
            method, url, headers = request
            self.requests.append(method)
            cseq = headers.get("cseq", "0")
            if self.path not in url:
                _reply(sock, cseq, "404 Not Found")
                continue
            if method == "OPTIONS":
                _reply(sock, cseq, "200 OK", {"Public": "OPTIONS, DESCRIBE, SETUP, PLAY, TEARDOWN"})
            elif method == "DESCRIBE":
                if self.plays >= len(self.parts):
                    _reply(sock, cseq, "404 Not Found")
                    return
                base = url if url.endswith("/") else url + "/"
                _reply(sock, cseq, "200 OK", {"Content-Base": base, "Content-Type": "application/sdp"}, SDP)
            elif method == "SETUP":
                transport = headers.get("transport", "")
                if "TCP" not in transport.upper():
                    _reply(sock, cseq, "461 Unsupported Transport")
                    continue
                _reply(sock, cseq, "200 OK", {"Transport": "RTP/AVP/TCP;unicast;interleaved=0-1",
                                              "Session": session})
            elif method == "PLAY":
                part = self.parts[self.plays]
                self.plays += 1
                _reply(sock, cseq, "200 OK", {"Session": session, "Range": "npt=0.000-"})
                _send_rtp(sock, part)
                sock.shutdown(socket.SHUT_RDWR)  # drop the connection mid-stream
                return
            elif method == "TEARDOWN":
                _reply(sock, cseq, "200 OK", {"Session": session})
                return
            else:
                _reply(sock, cseq, "405 Method Not Allowed")


def _read_request(reader):
    line = reader.readline()
    while line == b"$":  # an interleaved packet from the client (RTCP): skip it
        header = reader.read(3)
        if len(header) < 3:
            return None
        reader.read(struct.unpack(">H", header[1:])[0])
        line = reader.readline()
    if not line:
        return None
    while line in (b"\r\n", b"\n"):
        line = reader.readline()
        if not line:
            return None
    parts = line.decode("latin-1").split()
    if len(parts) < 2:
        return None
    headers = {}
    while True:
        h = reader.readline()
        if h in (b"\r\n", b"\n", b""):
            break
        key, _, value = h.decode("latin-1").partition(":")
        headers[key.strip().lower()] = value.strip()
    length = int(headers.get("content-length", "0"))
    if length:
        reader.read(length)
    return parts[0], parts[1], headers


def _reply(sock, cseq, status, headers=None, body=""):
    lines = [f"RTSP/1.0 {status}", f"CSeq: {cseq}"]
    lines += [f"{k}: {v}" for k, v in (headers or {}).items()]
    if body:
        lines.append(f"Content-Length: {len(body.encode())}")
    sock.sendall(("\r\n".join(lines) + "\r\n\r\n" + body).encode())


def _send_rtp(sock, audio: np.ndarray) -> None:
    pcm = (np.clip(audio, -1, 1) * 32767).round().astype(">i2")  # L16 is big-endian
    ssrc = random.randrange(1 << 32)
    for seq, i in enumerate(range(0, pcm.size, SAMPLES_PER_PACKET)):
        payload = pcm[i:i + SAMPLES_PER_PACKET].tobytes()
        rtp = struct.pack(">BBHII", 0x80, 96, seq & 0xFFFF, i, ssrc) + payload
        try:
            sock.sendall(b"$\x00" + struct.pack(">H", len(rtp)) + rtp)
        except OSError:
            return
