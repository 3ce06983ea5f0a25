"""``python -m whisper_live.bench.telephony``: phone calls through ``/twilio``, their transcripts at a loopback webhook.

Each call sends what Twilio sends for ``<Start><Stream>`` at real-time pace: ``connected``, ``start`` (one track
or both, ``statusCallbackUrl`` naming the call at this process's webhook), a ``media`` message of 20 ms of
mu-law at 8 kHz per track (sent in bursts of ``--burst`` chunks), then ``stop``. With both tracks the audio
becomes a conversation: its utterances go to the inbound and outbound tracks in turn, each at its own time,
the other track silent meanwhile, so a call carries the same speech, at the same moments, as one
WhisperLive-protocol client streaming the file (``python -m whisper_live.bench``).

Reported (JSON on stdout, a summary on stderr): per call, whether every final arrived (the ``stopped``
callback came and no ``SequenceId`` is missing) and in order (arrival order is ``SequenceId`` order); the
WER of the finals (both tracks, ordered by ``SegmentStart``) against the reference; the final latency, from
the moment the media holding a final's last sample was sent to its callback's arrival, pooled as p50 / p90 /
max. docs/benchmark.md, "Phone calls".
"""

from __future__ import annotations

import argparse
import base64
import http.server
import json
import sys
import threading
import time
import urllib.parse
from dataclasses import dataclass, field
from typing import Optional

import numpy as np

from whisper_live import wer as wer_mod
from whisper_live.audio.encoder import AudioEncoder
from whisper_live.bench import audio as audio_mod
from whisper_live.bench import machine_speed, server_process
from whisper_live.bench.metrics import summary
from whisper_live.protocol import SAMPLE_RATE

CHUNK_BYTES = 160  # 20 ms of 8 kHz mu-law: what Twilio sends in one media message
SILENCE = b"\xff"  # mu-law's zero


# --- the webhook -------------------------------------------------------------------------------------------------

class Webhook:
    """An HTTP server on 127.0.0.1 in a thread, recording each callback's fields and arrival time by call.

    ``fail_first``: the first N POSTs of each call are answered 500; ``hang``: calls whose id is in it are
    never answered (until :meth:`close`)."""

    def __init__(self, fail_first: int = 0, hang: frozenset = frozenset()):
        self.received: dict[str, list[tuple[float, dict]]] = {}
        self.posts: dict[str, int] = {}
        self.fail_first, self.hang = fail_first, hang
        self._lock = threading.Lock()
        self._release = threading.Event()
        hook = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                call = urllib.parse.urlsplit(self.path).path.rsplit("/", 1)[-1]
                status = hook._answer(call, dict(urllib.parse.parse_qsl(body.decode())))
                if status is None:
                    hook._release.wait(60)
                    return
                self.send_response(status)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args):
                pass

        self._server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, name="webhook", daemon=True)
        self._thread.start()

    def url(self, call: str) -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}/calls/{call}"

    def _answer(self, call: str, fields: dict) -> Optional[int]:
        with self._lock:
            self.posts[call] = self.posts.get(call, 0) + 1
            if call in self.hang:
                return None
            if self.posts[call] <= self.fail_first:
                return 500
            self.received.setdefault(call, []).append((time.monotonic(), fields))
        return 204

    def of(self, call: str) -> list[tuple[float, dict]]:
        with self._lock:
            return list(self.received.get(call, []))

    def wait_stopped(self, call: str, timeout: float) -> bool:
        give_up = time.monotonic() + timeout
        while time.monotonic() < give_up:
            if any(f.get("TranscriptionEvent") == "transcription-stopped" for _, f in self.of(call)):
                return True
            time.sleep(0.05)
        return False

    def close(self) -> None:
        self._release.set()
        self._server.shutdown()
        self._server.server_close()
        self._thread.join()


# --- the calls -----------------------------------------------------------------------------------------------------

def mulaw_8k(audio: np.ndarray) -> bytes:
    """16 kHz float32 audio as 8 kHz mu-law, as a phone line carries it."""
    encoder = AudioEncoder("mulaw", 8000)
    return encoder.encode(audio) + encoder.flush()


def conversation(speech: audio_mod.Speech) -> dict[str, np.ndarray]:
    """The speech's utterances on the inbound and outbound tracks in turn, each at its own time (the whole
    audio on inbound when its utterances are not known)."""
    inbound = speech.audio.copy()
    outbound = np.zeros_like(inbound)
    for k, (start, end, _) in enumerate(speech.segments or []):
        if k % 2:
            a, b = int(start * SAMPLE_RATE), int(end * SAMPLE_RATE)
            outbound[a:b], inbound[a:b] = inbound[a:b], 0.0
    return {"inbound": inbound, "outbound": outbound}


def start_message(call: str, tracks: list[str], callback_url: str, partial: bool = False) -> dict:
    params = {"statusCallbackUrl": callback_url, "partialResults": "true" if partial else "false"}
    return {"event": "start", "sequenceNumber": "1", "streamSid": f"MZ{call}",
            "start": {"streamSid": f"MZ{call}", "callSid": call, "accountSid": "ACbench", "tracks": tracks,
                      "customParameters": params,
                      "mediaFormat": {"encoding": "audio/x-mulaw", "sampleRate": 8000, "channels": 1}}}


def media_message(call: str, track: str, chunk: int, payload: bytes, sequence: int) -> dict:
    return {"event": "media", "sequenceNumber": str(sequence), "streamSid": f"MZ{call}",
            "media": {"track": track, "chunk": str(chunk), "timestamp": str((chunk - 1) * 20),
                      "payload": base64.b64encode(payload).decode("ascii")}}


@dataclass
class CallLog:
    call: str
    sent_at: list[float] = field(default_factory=list)  # when the burst ending at sent_end[i] was sent
    sent_end: list[float] = field(default_factory=list)  # seconds of each track sent by then
    close_code: Optional[int] = None
    error: Optional[str] = None

    def send_time(self, position: float) -> Optional[float]:
        import bisect

        i = bisect.bisect_left(self.sent_end, position - 1e-6)
        return self.sent_at[min(i, len(self.sent_at) - 1)] if self.sent_at else None


def run_call(url: str, call: str, tracks: dict[str, bytes], callback_url: str, *, burst: int = 5,
             partial: bool = False, headers: Optional[dict] = None, close_timeout: float = 180.0,
             malformed_at: Optional[int] = None) -> CallLog:
    """Stream one call at real time and wait for the server to close it (a server that closes it sooner, as a
    full one does, ends the sending; its close code is the call's). ``malformed_at``: send a broken event
    after that many bursts instead of going on."""
    from websockets.exceptions import ConnectionClosed
    from websockets.sync.client import connect

    log = CallLog(call)
    try:
        with connect(url, additional_headers=headers, open_timeout=30, max_size=2 ** 20) as ws:
            try:
                _send_call(ws, log, tracks, callback_url, burst, partial, malformed_at)
            except ConnectionClosed:
                pass  # (the server ended the call first: its close code says why)
            give_up = time.monotonic() + close_timeout
            try:
                while time.monotonic() < give_up:
                    ws.recv(timeout=max(0.1, give_up - time.monotonic()))
            except (ConnectionClosed, TimeoutError):
                pass
            log.close_code = ws.close_code
    except Exception as exc:  # noqa: BLE001 (reported with the call)
        log.error = f"{type(exc).__name__}: {exc}"
    return log


def _send_call(ws, log: CallLog, tracks: dict[str, bytes], callback_url: str, burst: int, partial: bool,
               malformed_at: Optional[int]) -> None:
    """connected, start, the media at real time (noted in ``log``), then stop (or a broken event)."""
    call, names = log.call, list(tracks)
    chunks = max(len(audio) for audio in tracks.values()) // CHUNK_BYTES
    ws.send(json.dumps({"event": "connected", "protocol": "Call", "version": "1.0.0"}))
    ws.send(json.dumps(start_message(call, names, callback_url, partial)))
    sequence, begun = 2, time.monotonic()
    for n, first in enumerate(range(0, chunks, burst)):
        if malformed_at is not None and n == malformed_at:
            ws.send(json.dumps({"event": "media", "media": {"track": "inbound", "chunk": "oops"}}))
            return
        for c in range(first, min(chunks, first + burst)):
            for name in names:
                payload = tracks[name][c * CHUNK_BYTES:(c + 1) * CHUNK_BYTES].ljust(CHUNK_BYTES, SILENCE)
                ws.send(json.dumps(media_message(call, name, c + 1, payload, sequence)))
                sequence += 1
        log.sent_at.append(time.monotonic())
        log.sent_end.append(min(chunks, first + burst) * 0.02)
        delay = begun + min(chunks, first + burst) * 0.02 - time.monotonic()
        if delay > 0:
            time.sleep(delay)
    ws.send(json.dumps({"event": "stop", "sequenceNumber": str(sequence), "streamSid": f"MZ{call}",
                        "stop": {"callSid": call, "accountSid": "ACbench"}}))


# --- the figures -----------------------------------------------------------------------------------------------

def call_figures(log: CallLog, callbacks: list[tuple[float, dict]], reference: Optional[str]) -> dict:
    """What one call's callbacks show: delivered, in order, its transcript, WER and final latencies."""
    sequence = [int(f["SequenceId"]) for _, f in callbacks]
    events = [f.get("TranscriptionEvent") for _, f in callbacks]
    finals = [(t, f) for t, f in callbacks if f.get("TranscriptionEvent") == "transcription-content"
              and f.get("Final") == "true"]
    latencies = []
    for t, f in finals:
        sent = log.send_time(float(f.get("SegmentEnd", "0")))
        if sent is not None:
            latencies.append(max(0.0, t - sent))
    ordered = sorted(finals, key=lambda tf: float(tf[1].get("SegmentStart", "0")))
    text = " ".join(json.loads(f["TranscriptionData"])["transcript"] for _, f in ordered)
    return {"call": log.call, "close_code": log.close_code, "error": log.error,
            "stopped": "transcription-stopped" in events,
            "all_delivered": "transcription-stopped" in events and sorted(sequence) == list(range(1, len(sequence) + 1)),
            "in_order": sequence == sorted(sequence), "finals": len(finals),
            "finals_by_track": {track: sum(f["Track"] == track for _, f in finals)
                                for track in ("inbound_track", "outbound_track")},
            "latencies": latencies, "text": text,
            "wer": round(wer_mod.wer(reference, text), 4) if reference else None}


def aggregate(calls: list[dict]) -> dict:
    pooled = [x for c in calls for x in c["latencies"]]
    scored = [c for c in calls if c["wer"] is not None]
    return {"calls": len(calls), "all_delivered": all(c["all_delivered"] for c in calls),
            "in_order": all(c["in_order"] for c in calls), "finals": sum(c["finals"] for c in calls),
            "final_latency_s": summary(pooled),
            "wer": round(sum(c["wer"] for c in scored) / len(scored), 4) if scored else None}


# --- the command -----------------------------------------------------------------------------------------------

def parse_args(argv=None) -> argparse.Namespace:
    p = argparse.ArgumentParser(prog="python -m whisper_live.bench.telephony", description=__doc__.split("\n")[0])
    p.add_argument("--calls", type=int, default=1, help="concurrent calls (default 1)")
    p.add_argument("--tracks", choices=("both", "inbound"), default="both",
                   help="both: the audio as a conversation over the two tracks; inbound: all of it on one")
    p.add_argument("--audio", help="speech file or ../shared/audio folder (default: the benchmark's default)")
    p.add_argument("--duration", type=float, help="use only the first DURATION seconds")
    p.add_argument("--stagger", type=float, default=1.0, help="calls start within this many seconds (default 1)")
    p.add_argument("--burst", type=int, default=5, help="20 ms media messages sent together (default 5)")
    p.add_argument("--partial", action="store_true", help="ask for partial results (Final=false) too")
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, help="the server's port (default: the --spawn-server command's --port, "
                   "else 9090)")
    p.add_argument("--twilio-auth-token", help="sign the upgrade with X-Twilio-Signature (the server's token)")
    p.add_argument("--spawn-server", metavar="CMD", help="start this server command (it must allow callbacks to "
                   "127.0.0.1: --telephony_callback_allow 127.0.0.1), measure, stop it")
    p.add_argument("--spawn-timeout", type=float, default=180.0)
    p.add_argument("--no-machine-speed", dest="machine_speed", action="store_false",
                   help="skip measuring the machine's model speed before the calls (bench/machine_speed.py)")
    p.add_argument("--json-out", help="also append the JSON line to this file")
    args = p.parse_args(argv)
    spawned_port = server_process.command_port(args.spawn_server) if args.spawn_server else None
    if args.port is not None and spawned_port is not None and args.port != spawned_port:
        p.error(f"--port {args.port} is not the --spawn-server command's port ({spawned_port})")
    args.port = args.port or spawned_port or 9090
    return args


def main(argv=None) -> int:
    from whisper_live.bench import report
    from whisper_live.telephony.signature import signature

    args = parse_args(argv)
    speech = audio_mod.cut(audio_mod.load_speech(args.audio) if args.audio else audio_mod.default_speech(),
                           args.duration)
    tracks16 = conversation(speech) if args.tracks == "both" else {"inbound": speech.audio}
    tracks = {name: mulaw_8k(audio) for name, audio in tracks16.items()}
    url = f"ws://{args.host}:{args.port}/twilio"
    headers = None
    if args.twilio_auth_token:
        headers = {"X-Twilio-Signature": signature(args.twilio_auth_token, f"wss://{args.host}:{args.port}/twilio")}
    speed = machine_speed.measure_or_why(args.machine_speed)
    spawned = watch = None
    if args.spawn_server:
        spawned = server_process.SpawnedServer(args.spawn_server, args.host, args.port, args.spawn_timeout)
        spawned.__enter__()
        watch = server_process.ServerWatch(spawned.pid)
        watch.start()
    webhook = Webhook()
    server = {}
    try:
        logs: list[Optional[CallLog]] = [None] * args.calls
        rng = np.random.default_rng(0)
        offsets = sorted(rng.uniform(0, args.stagger, args.calls)) if args.calls > 1 else [0.0]
        t_zero = time.monotonic()

        def one(i: int) -> None:
            time.sleep(max(0.0, t_zero + offsets[i] - time.monotonic()))
            call = f"CA{i:04d}"
            logs[i] = run_call(url, call, tracks, webhook.url(call), burst=args.burst, partial=args.partial,
                               headers=headers)

        threads = [threading.Thread(target=one, args=(i,)) for i in range(args.calls)]
        first = watch.sample() if watch else None
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        if watch:
            server = {"cpu_percent": server_process.cpu_percent(first, watch.sample()),
                      "rss_peak_mb": round(watch.peak_rss / 2**20, 1)}
        for log in logs:
            webhook.wait_stopped(log.call, 30)
        calls = [call_figures(log, webhook.of(log.call), speech.reference) for log in logs]
    finally:
        webhook.close()
        if watch is not None:
            watch.stop()
        if spawned is not None:
            spawned.stop()
    figures = aggregate(calls)
    for c in calls:
        c.pop("latencies")
        c.pop("text")
    doc = {"bench": "whisper_live.bench.telephony", "date": report.utc_now(),
           "machine": {**report.machine(), "speed": speed},
           "config": {"calls": args.calls, "tracks": args.tracks, "audio": speech.source,
                      "audio_s": round(speech.duration, 3), "codec": "mulaw 8 kHz", "spawned": args.spawn_server},
           **figures, "server": server, "per_call": calls}
    line = json.dumps(doc)
    report.append_line(args.json_out, line)
    fin = figures["final_latency_s"]
    print(f"{args.calls} call(s), {args.tracks} track(s): every final delivered {figures['all_delivered']}, in order "
          f"{figures['in_order']}, {figures['finals']} finals, final p50 {fin.get('p50')} p90 {fin.get('p90')} "
          f"max {fin.get('max')} s, WER {figures['wer']}, server CPU {server.get('cpu_percent')} %; "
          f"{machine_speed.describe(speed)}", file=sys.stderr)
    print(line, flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
