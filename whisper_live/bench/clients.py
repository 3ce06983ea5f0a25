"""The benchmark's I/O: client threads that stream audio at real time, and a watcher of the server process.

Each client is one thread with one WebSocket (``websockets.sync.client``): it sends the options, waits for
``SERVER_READY`` (or ``WAIT`` / ``ERROR``), then sends fixed-size frames (float32, G.711 at 8 kHz or Opus packets with ``--codec``) paced by a clock
(frame ``k``, counting from 1, leaves at ``start + k * frame_seconds``, so the audio is never ahead of real
time and pacing does not drift), then ``END_OF_AUDIO``, and waits for ``DISCONNECT``. A second thread per
client receives the server's messages and time-stamps them. With ``drop_every`` (``--drop-every``) a client
drops its connection every so many seconds of audio (the socket shut, no close frame), reconnects,
resumes its session and sends again from the ``audio_received`` the server reports
(:mod:`whisper_live.bench.drops`). The server's CPU and memory are watched by
:mod:`whisper_live.bench.server_process`. All it records goes into a
:class:`~whisper_live.bench.metrics.ClientLog`; the figures are computed from those by
:mod:`whisper_live.bench.metrics`. What each client streams, and where to, comes from
:mod:`whisper_live.bench.plan`.
"""

from __future__ import annotations

import math
import threading
import time
from dataclasses import dataclass, field
from typing import Callable, Optional, Sequence

from whisper_live import protocol
from whisper_live.audio.encoder import open_encoder
from whisper_live.client.link import DEFAULT_KBPS, AdaptiveBitrate, unsent_bytes
from whisper_live.bench.metrics import ClientLog, Update
from whisper_live.bench.plan import ClientPlan, RunSettings
from whisper_live.bench.server_process import Sample, ServerWatch, cpu_percent, rss_at

clock = time.monotonic


class Client:
    """One benchmark client; :meth:`run` blocks until the session is over (or timed out)."""

    def __init__(self, plan: ClientPlan, settings: RunSettings, stop: threading.Event,
                 on_admitted: Callable[[], None], gate: Optional[threading.Event] = None):
        self.plan = plan
        self.gate = gate  # set when the room's readers are in: an admitted speaker streams after it
        self.settings = settings
        self.stop = stop
        self.on_admitted = on_admitted
        self.log = ClientLog(name=plan.name, speaking=plan.speaking, reference=plan.reference, source=plan.source)
        self._admitted = threading.Event()
        self._closed = threading.Event()  # the receiver is done: DISCONNECT, close, or error
        self._disconnect_at: Optional[float] = None
        self._closed_at: Optional[float] = None
        self._close_code: Optional[int] = None
        self._lock = threading.Lock()
        self._admission_reported = False
        self._resume_token: Optional[str] = None
        self._resumed = threading.Event()  # SERVER_READY of a resume arrived
        self._audio_received = 0.0  # ... and the audio the server held then (s)
        self._encoder = self._link = None
        self._new_encoder()

    def _new_encoder(self) -> None:
        """G.711 at 8 kHz, or Opus at the bitrate asked for (``auto``: following the send backlog)."""
        s = self.settings
        if not s.codec:
            return
        auto = s.bitrate == "auto"
        self._encoder = open_encoder(s.codec, None, DEFAULT_KBPS if auto else int(s.bitrate))
        self._link = AdaptiveBitrate(self._encoder) if auto and s.codec == "opus" else None

    def unsent_bytes(self):
        """The connection's send backlog, for the adaptive bitrate."""
        return unsent_bytes(getattr(self._conn, "socket", None))

    def _report_admission(self) -> None:
        if not self._admission_reported:
            self._admission_reported = True
            self.on_admitted()

    # -- receiving -----------------------------------------------------------------------------------------

    def _receive(self, conn) -> None:
        from websockets.exceptions import ConnectionClosed

        try:
            while True:
                try:
                    text = conn.recv()
                except ConnectionClosed as exc:
                    self._closed_at = clock()
                    self._close_code = exc.rcvd.code if exc.rcvd is not None else None
                    return
                t = clock()
                if isinstance(text, bytes):
                    continue  # the protocol has no binary replies
                try:
                    reply = protocol.parse_reply(text)
                except ValueError:
                    continue
                self._on_reply(reply, t)
                if reply.kind == "disconnect" or (reply.kind in ("wait", "error") and not self._admitted.is_set()):
                    return
        finally:
            self._closed.set()
            self._admitted.set()  # unblock a sender still waiting for admission

    def _on_reply(self, reply: protocol.Reply, t: float) -> None:
        log = self.log
        with self._lock:
            if reply.kind == "ready" and reply.resumed:
                self._audio_received = reply.audio_received
                self._resumed.set()
            elif reply.kind == "ready":
                log.t_ready = t
                log.admission = "ready"
                self._resume_token = reply.resume_token
                self._admitted.set()
            elif reply.kind == "segments":
                log.updates.append(Update(t, reply.segments))
            elif reply.kind == "wait":
                log.waits += 1
                log.messages.append(f"WAIT {reply.message}")
                if not self._admitted.is_set():
                    log.admission = "wait"
            elif reply.kind == "error":
                log.errors += 1
                log.messages.append(f"ERROR {reply.message}")
                if not self._admitted.is_set():
                    log.admission = "error"
            elif reply.kind == "warning":
                log.warnings += 1
                log.messages.append(f"WARNING {reply.message}")
            elif reply.kind == "disconnect":
                self._disconnect_at = t

    # -- sending -------------------------------------------------------------------------------------------

    def run(self, t_zero: float) -> ClientLog:
        from websockets.sync.client import connect

        log, s = self.log, self.settings
        self._sleep_until(t_zero + self.plan.start_delay)
        if self.stop.is_set():
            log.admission, log.failure = "connect_failed", "benchmark stopped before this client started"
            self._report_admission()
            return log
        log.t_connect = clock()
        connected = False
        try:
            # No keepalive pings (a busy server must not be cut off by the bench), no compression (as
            # WhisperLive's own client), no proxy (127.0.0.1 only).
            with connect(s.connect_uri(), open_timeout=s.ready_timeout, ping_interval=None, compression=None,
                         proxy=None, close_timeout=5) as conn:
                connected = True
                self._session(conn)
        except Exception as exc:  # refused, timed out, handshake failed, or a failure in the session
            if not connected:
                log.admission, log.failure = "connect_failed", f"connect failed: {type(exc).__name__}: {exc}"
            elif log.failure is None:
                log.failure = f"client failed: {type(exc).__name__}: {exc}"
        finally:
            self._report_admission()
        return log

    def _session(self, conn) -> None:
        from websockets.exceptions import ConnectionClosed

        log, s = self.log, self.settings
        receiver = threading.Thread(target=self._receive, args=(conn,), name=f"bench-recv-{log.name}",
                                    daemon=True)
        try:
            options = s.client_options(f"bench-{log.name}", log.name)
            if s.codec:
                options.audio_format, options.sample_rate = s.codec, self._encoder.sample_rate
            conn.send(options.to_message())
            receiver.start()
            admitted = self._admitted.wait(s.ready_timeout)
            self._report_admission()
            if not admitted or log.t_ready is None:
                if log.admission == "ready":  # neither READY nor WAIT/ERROR came
                    log.admission = "error"
                    log.failure = (f"no SERVER_READY within {s.ready_timeout:g} s" if not admitted
                                   else "the server closed the connection before SERVER_READY")
                else:
                    log.failure = f"refused at admission ({log.admission.upper()})"
                return
            self._conn, self._receiver = conn, receiver
            if self.gate is not None:
                self.gate.wait(s.gate_timeout)
            self._stream()
            if log.failure is None:
                self._finish(self._conn)
        except ConnectionClosed as exc:
            if log.failure is None:
                log.failure = f"connection closed by the server while streaming ({exc})"
        finally:
            conn, receiver = getattr(self, "_conn", conn), getattr(self, "_receiver", receiver)
            try:
                conn.close()
            except Exception:
                pass
            if receiver.is_alive():
                receiver.join(timeout=10)

    def _sleep_until(self, deadline: float) -> None:
        while not self.stop.is_set():
            left = deadline - clock()
            if left <= 0:
                return
            self.stop.wait(min(left, 0.5))

    def _stream(self) -> None:
        log, s = self.log, self.settings
        audio = self.plan.audio
        n = s.frame_samples
        start = clock()
        offset = 0
        drop_at = s.drop_every * protocol.SAMPLE_RATE if s.drop_every > 0 and self._resume_token else math.inf
        while offset < len(audio):
            if offset >= drop_at:
                drop_at += s.drop_every * protocol.SAMPLE_RATE
                resumed = self._drop_and_resume()
                if resumed is None:
                    return
                offset = resumed
                continue
            chunk = audio[offset:offset + n]
            due = start + (offset + len(chunk)) / protocol.SAMPLE_RATE
            self._sleep_until(due)
            if self.stop.is_set():
                log.failure = "benchmark stopped while streaming"
                return
            if self._closed.is_set():
                log.failure = "the server ended the session before the audio was over"
                return
            if self._link is not None:
                self._link.adapt(self, len(chunk) / protocol.SAMPLE_RATE)
            for frame in self._encoder.frames(chunk) if s.codec else [protocol.encode_audio_frame(chunk)]:
                self._conn.send(frame)
                log.bytes_sent += len(frame)
            offset += len(chunk)
            log.record_frame(offset / protocol.SAMPLE_RATE, clock())

    def _drop_and_resume(self) -> Optional[int]:
        """Drop the connection (no close frame), reconnect, resume; the sample to go on from, or None."""
        import socket

        from websockets.sync.client import connect

        log, s = self.log, self.settings
        try:
            self._conn.socket.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
        self._receiver.join(10)
        self._conn.close()
        log.drops += 1
        self._closed.clear()
        self._resumed.clear()
        try:
            conn = connect(s.connect_uri(f"bench-{log.name}"), open_timeout=s.ready_timeout, ping_interval=None,
                           compression=None, proxy=None, close_timeout=5).__enter__()
        except Exception as exc:
            log.failure = f"reconnecting failed: {type(exc).__name__}: {exc}"
            return None
        self._conn = conn
        self._receiver = threading.Thread(target=self._receive, args=(conn,), name=f"bench-recv-{log.name}",
                                          daemon=True)
        options = protocol.ClientOptions(uid=f"bench-{log.name}", resume=True, resume_token=self._resume_token)
        conn.send(options.to_message())
        self._receiver.start()
        deadline = clock() + s.ready_timeout
        while not self._resumed.is_set() and not self._closed.is_set() and clock() < deadline:
            self._resumed.wait(0.1)
        if not self._resumed.is_set():
            log.failure = f"the session was not resumed ({'; '.join(log.messages[-1:]) or 'no answer'})"
            return None
        log.resumes += 1
        if s.codec == "opus":  # the server decodes the resumed connection afresh: so is it encoded
            self._new_encoder()
        return int(round(self._audio_received * protocol.SAMPLE_RATE))

    def _finish(self, conn) -> None:
        log, s = self.log, self.settings
        for frame in self._encoder.flush_frames() if s.codec else []:
            conn.send(frame)
            log.bytes_sent += len(frame)
        conn.send(protocol.END_OF_AUDIO)
        log.t_end_of_audio = clock()
        deadline = log.t_end_of_audio + s.finish_timeout
        while not self._closed.is_set() and clock() < deadline and not self.stop.is_set():
            self._closed.wait(min(0.2, max(0.0, deadline - clock())))
        if self._disconnect_at is not None:
            log.t_done, log.finished = self._disconnect_at, True
        elif self._closed.is_set() and self._close_code in (1000, 1001):
            # A server that closes cleanly after the final segments without DISCONNECT also finished.
            log.t_done, log.finished = self._closed_at, True
        elif self._closed.is_set():
            log.failure = f"the connection closed after END_OF_AUDIO without DISCONNECT (code {self._close_code})"
        elif self.stop.is_set():
            log.failure = "benchmark stopped while waiting for DISCONNECT"
        else:
            log.failure = f"no DISCONNECT within {s.finish_timeout:g} s of END_OF_AUDIO"


# -- the server process ----------------------------------------------------------------------------------


@dataclass
class RunResult:
    logs: list[ClientLog]
    wall_s: float
    server: Optional[dict] = None
    bench_cpu_percent: Optional[float] = None
    notes: list[str] = field(default_factory=list)


def run_clients(plans: list[ClientPlan], settings: RunSettings, watch: Optional[ServerWatch] = None,
                idle_sample: float = 1.0, rss_marks: Sequence[float] = (),
                gate: Optional[threading.Event] = None) -> RunResult:
    """Run all clients at once (each after its start offset); returns when all are done or timed out.

    ``rss_marks``: seconds after the start at which the server's memory is reported (``rss_at_marks_mb``).
    ``gate``: admitted speakers stream once it is set (the room's readers are in), or after ``gate_timeout``.
    """
    import psutil

    stop = threading.Event()
    server: Optional[dict] = None
    before = idle = None
    if watch is not None:
        before = watch.sample()
        if idle_sample > 0:
            time.sleep(idle_sample)
            idle = watch.sample()
            server = {"idle_cpu_percent": cpu_percent(before, idle)}
        else:
            server = {"idle_cpu_percent": None}
        server.update(pid=watch.process.pid, rss_before_mb=round(before.rss / 2**20, 1))
        watch.start()

    admitted_count = 0
    admitted_lock = threading.Lock()
    connected_sample: list[Sample] = []

    def on_admitted() -> None:
        nonlocal admitted_count
        with admitted_lock:
            admitted_count += 1
            if admitted_count == len(plans) and watch is not None:
                # Every client has its answer (most are streaming now): memory with all of them connected.
                connected_sample.append(watch.sample())

    clients = [Client(plan, settings, stop, on_admitted, gate) for plan in plans]
    me = psutil.Process()
    my_cpu0 = sum(me.cpu_times()[:2])
    start_sample = watch.sample() if watch is not None else None
    t_zero = clock()
    threads = [threading.Thread(target=c.run, args=(t_zero,), name=f"bench-{c.plan.name}", daemon=True)
               for c in clients]
    for thread in threads:
        thread.start()
    longest = max((len(p.audio) / protocol.SAMPLE_RATE + p.start_delay for p in plans), default=0.0)
    # A hard bound on the whole run: every wait inside a client is bounded too; this is the backstop.
    limit = longest + 2 * settings.ready_timeout + settings.finish_timeout + settings.gate_timeout + 30.0
    try:
        for thread in threads:
            thread.join(max(0.0, t_zero + limit - clock()))
    except KeyboardInterrupt:
        stop.set()
        for thread in threads:
            thread.join(10)
        raise
    if any(thread.is_alive() for thread in threads):
        stop.set()
        for thread in threads:
            thread.join(10)
    wall = clock() - t_zero
    my_cpu = sum(me.cpu_times()[:2]) - my_cpu0
    if watch is not None:
        end_sample = watch.sample()
        watch.stop()
        server.update(
            cpu_percent=cpu_percent(start_sample, end_sample),
            cpu_seconds=round(end_sample.cpu - start_sample.cpu, 2),
            rss_connected_mb=round(connected_sample[0].rss / 2**20, 1) if connected_sample else None,
            rss_peak_mb=round(max(watch.peak_rss, end_sample.rss) / 2**20, 1),
        )
        if rss_marks:
            server["rss_at_marks_mb"] = [rss_at(watch.samples, t_zero + mark) for mark in rss_marks]
        busy = server["cpu_percent"]
        if busy is not None and plans:
            # What each connection adds on average, over what the server used idle before the run.
            server["cpu_percent_per_client"] = round((busy - (server["idle_cpu_percent"] or 0.0)) / len(plans), 2)
        else:
            server["cpu_percent_per_client"] = None
        if connected_sample and plans:
            server["rss_per_client_mb"] = round((connected_sample[0].rss - before.rss) / 2**20 / len(plans), 2)
        else:
            server["rss_per_client_mb"] = None
    return RunResult([c.log for c in clients], wall, server, round(100.0 * my_cpu / wall, 1) if wall else None)
