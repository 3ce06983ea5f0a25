"""The server: loads the model(s) at start-up, admits connections and runs one ServeClient per connection.

Which model serves a client (documented in README):

* default (single model): the model chosen at start-up serves every client. A client that asks for
  another model gets a WARNING naming the model it is served with.
* ``--no_single_model``: each client is served by the model it asks for (``model`` in its options, or the
  server's default when it asks for none). Models are loaded on first use and shared by all clients that
  ask for the same one. A model that cannot be loaded gets the client an ERROR.
"""

from __future__ import annotations

import logging
import threading
import uuid
from dataclasses import dataclass
from typing import Optional

from websockets.exceptions import ConnectionClosed
from websockets.sync.server import serve

from whisper_live import protocol
from whisper_live.admission import Admission
from whisper_live.locked_runner import LockedRunner
from whisper_live.models import ModelNotFound, resolve_model
from whisper_live.scheduler import Scheduler
from whisper_live.server.auth import ApiKeys, ConnectionLimiter, OriginPolicy
from whisper_live.server.client_manager import ClientManager
from whisper_live.server.connection import Connection
from whisper_live.server.drain import Drain
from whisper_live.server.resume import ResumeRegistry
from whisper_live.server.endpoints import AccessPolicy, Endpoints, client_address
from whisper_live.server.health import ServerState
from whisper_live.server.metrics import Metrics
from whisper_live.server.serve_client import ServeClient
from whisper_live.streaming.config import default_finals
from whisper_live.streaming import SessionConfig, StreamingSession
from whisper_live.transcriber import BackendUnavailable, continues_mid_window, load_transcriber
from whisper_live.transcriber.encoder_window import FULL_WINDOWS

log = logging.getLogger(__name__)

OPTIONS_TIMEOUT = 10.0  # seconds a new connection has to send its options


@dataclass
class ServerConfig:
    host: str = "0.0.0.0"
    port: int = 9090
    backend: str = "faster_whisper"
    model: Optional[str] = None  # faster_whisper: bundled name, local CT2 dir or hub id
    openvino_model_path: Optional[str] = None
    trt_model_path: Optional[str] = None
    trt_multilingual: bool = False
    single_model: bool = True
    max_clients: int = 4
    max_connection_time: float = 600.0
    cache_path: Optional[str] = None
    cpu_threads: int = 1
    workers: int = 2
    max_batch_size: int = 4
    inference_mode: str = "scheduler"  # or "locked": thread per client, model behind a lock
    latency_target: float = 2.0
    admission_control: bool = True
    sized_encoder_window: bool = True  # faster_whisper: encoder input sized to the audio, else Whisper's 30 s
    # Seconds of committed speech replayed before a final window (0: off), and above 1, final windows decoded
    # as offline Whisper decodes (whisper_live/streaming). None: what suits the backend
    # (whisper_live/streaming/config.py's default_finals).
    final_context: Optional[float] = None
    final_beam_size: Optional[int] = None
    # With beam-searched finals, agreed text younger than this (s) is decoded again as a final (SessionConfig)
    refine_agreed_within: float = SessionConfig.refine_agreed_within
    # TCP port of the HAProxy agent-check responder (server/agent.py); None: no agent
    agent_port: Optional[int] = None
    # Seconds a session whose connection dropped is kept for its client to resume it (0: not kept)
    resume_window: float = 30.0
    # Who may connect, TLS and the metrics port (whisper_live/server/auth.py, endpoints.py, tls.py)
    api_keys: tuple = ()
    cors_origins: Optional[tuple] = None  # None: this server's host, localhost, browser extensions
    max_connections_per_ip: int = 0  # 0: no limit
    rate_limit_rpm: int = 0  # REST requests per minute per address (0: no limit)
    status_requires_key: bool = False  # /ready and /metrics need the API key too
    ssl_certfile: Optional[str] = None
    ssl_keyfile: Optional[str] = None
    metrics_port: Optional[int] = None

    def __post_init__(self):
        self.final_beam_size, self.final_context = default_finals(continues_mid_window(self.backend),
                                                                  self.final_beam_size, self.final_context)


class ModelPool:
    """The loaded models and their schedulers, by model name."""

    def __init__(self, config: ServerConfig, metrics: Optional[Metrics] = None):
        self.config = config
        self.metrics = metrics
        self._runners: dict = {}
        self._lock = threading.Lock()

    def model_path(self, name: Optional[str]) -> tuple[str, str]:
        """(display name, path) of a model for the configured backend."""
        cfg = self.config
        if cfg.backend == "openvino":
            if not cfg.openvino_model_path:
                from whisper_live.transcriber.openvino_backend import MISSING_MODEL_HELP

                raise ModelNotFound(MISSING_MODEL_HELP)
            return cfg.openvino_model_path, cfg.openvino_model_path
        if cfg.backend == "tensorrt":  # loading it says that it is not available in this release
            return "tensorrt", cfg.trt_model_path or ""
        name = name or cfg.model or "tiny.en"
        return name, resolve_model(name, cfg.cache_path)

    def get(self, name: Optional[str] = None):
        """The runner (scheduler) serving model ``name``; loads it on first use."""
        display, path = self.model_path(name)
        with self._lock:
            runner = self._runners.get(path)
            if runner is None:
                cfg = self.config
                options = {"max_batch_size": cfg.max_batch_size} if cfg.backend == "faster_whisper" else {}
                if cfg.backend == "tensorrt":
                    options["multilingual"] = cfg.trt_multilingual
                if cfg.backend == "faster_whisper" and not cfg.sized_encoder_window:
                    options["encoder_windows"] = FULL_WINDOWS
                transcriber = load_transcriber(cfg.backend, path, model_name=display, cpu_threads=cfg.cpu_threads,
                                               num_workers=cfg.workers, **options)
                if cfg.inference_mode == "locked":
                    runner = LockedRunner(transcriber)
                else:
                    runner = Scheduler(transcriber, workers=cfg.workers, max_batch_size=cfg.max_batch_size,
                                       # such finals gain nothing from a batch, and each would wait for all
                                       max_final_batch_size=1 if cfg.final_beam_size > 1 else None)
                if self.metrics is not None:
                    runner.on_batch = self.metrics.batch_observer(cfg.backend, display)
                    self.metrics.watch_model(cfg.backend, display, lambda m=runner.meter: m.snapshot()["utilization"])
                runner.start()
                self._runners[path] = runner
                log.info("loaded %s model %s (%s)", cfg.backend, display, path)
            return runner

    def loaded(self) -> list[str]:
        """Names of the models loaded so far (the default one first)."""
        with self._lock:
            return [runner.transcriber.model_name for runner in self._runners.values()]

    def close(self) -> None:
        with self._lock:
            for runner in self._runners.values():
                runner.stop()
            self._runners.clear()


class TranscriptionServer:
    def __init__(self, config: ServerConfig, access: Optional[AccessPolicy] = None):
        self.config = config
        self.metrics = Metrics()
        self.access = access or AccessPolicy(
            ApiKeys(config.api_keys), OriginPolicy(config.cors_origins),
            ConnectionLimiter(config.max_connections_per_ip), config.status_requires_key)
        self.models = ModelPool(config, self.metrics)
        # The first client must not pay for loading: the default model and the VAD load now.
        self.default_runner = self.models.get(None)
        self._vad = None
        self._vad_lock = threading.Lock()
        self.manager = ClientManager(
            Admission(self.default_runner.meter, config.max_clients, config.latency_target,
                      enabled=config.admission_control),
            config.max_connection_time)
        self.vad()
        self.metrics.watch_headroom(config.backend, self.default_runner.transcriber.model_name,
                                    lambda: self.state().headroom)
        self._server = None
        self._listening = False
        self.agent = None
        self._status_server = None
        self.resumable = ResumeRegistry(config.resume_window)
        # Callables run (each on its own thread, with the deadline) when the server drains: other APIs of
        # the process finish their requests in flight there (whisper_live/server/drain.py).
        self.drain_hooks: list = []
        self._drain = Drain(self)

    @property
    def draining(self) -> bool:
        """True from the first SIGTERM/SIGINT (:meth:`drain`) on: new clients get WAIT, /ready answers 503."""
        return self._drain.started

    def drain(self, timeout: float = 30.0) -> None:
        """Stop admitting, end every session as if END_OF_AUDIO had come, deliver, close with 1001, stop
        serving; returns within ``timeout`` seconds (whisper_live/server/drain.py)."""
        self._drain.run(timeout)

    def state(self) -> ServerState:
        """What /health and /ready answer from (whisper_live/server/health.py)."""
        connected = self.manager.connected()
        admission = self.manager.admission
        return ServerState(loaded=True, draining=self.draining, clients=len(connected),
                           max_clients=admission.max_clients, headroom=admission.headroom(connected),
                           refusal=admission.refuse_reason(connected))

    def vad(self):
        with self._vad_lock:
            if self._vad is None:
                from whisper_live.vad import SileroVad

                self._vad = SileroVad()
            return self._vad

    # --- one connection ---------------------------------------------------------------------------------------

    def handle(self, websocket) -> None:
        address = client_address(websocket)
        if not self.access.per_ip.acquire(address):
            self.metrics.reject("per_ip_limit")
            websocket.close(1013, "too many connections from this address")
            return
        try:
            self._handle(websocket)
        finally:
            self.access.per_ip.release(address)

    def _handle(self, websocket) -> None:
        try:
            first = websocket.recv(timeout=OPTIONS_TIMEOUT)
        except TimeoutError:
            websocket.close(1008, "no options received")
            return
        except ConnectionClosed:
            return
        try:
            options = protocol.ClientOptions.from_message(first)
        except protocol.ProtocolError as exc:
            self.metrics.reject("bad_options")
            websocket.send(protocol.error("", str(exc)))
            websocket.close(1003, "bad options")
            return
        if not options.uid:
            options.uid = str(uuid.uuid4())
        uid = options.uid
        if self.draining:
            self.metrics.reject("draining")
            websocket.send(protocol.wait(uid, 0.0))
            websocket.close(1013, "server shutting down")
            return
        if options.resume:
            self._resume(websocket, options)
            return
        warnings = []
        try:
            if self.config.single_model:
                runner = self.default_runner
                served = runner.transcriber.model_name
                if options.model and options.model != served:
                    warnings.append(f"this server serves every client with model {served!r}; "
                                    f"requested model {options.model!r} is not used")
            else:
                runner = self.models.get(options.model)
        except (ModelNotFound, BackendUnavailable, ValueError, RuntimeError) as exc:
            self.metrics.reject("model")
            websocket.send(protocol.error(uid, f"model {options.model!r} cannot be loaded: {exc}"))
            websocket.close(1011, "model unavailable")
            return
        transcriber = runner.transcriber
        if not transcriber.multilingual:
            if options.language not in (None, "en"):
                warnings.append(f"model {transcriber.model_name!r} knows only English; "
                                f"language {options.language!r} is transcribed as English")
            if options.task == "translate":
                warnings.append(f"model {transcriber.model_name!r} is English-only: "
                                f"translate needs a multilingual model such as 'base'")
            options.language = "en"

        session = StreamingSession(
            SessionConfig(language=options.language, task=options.task, initial_prompt=options.initial_prompt,
                          hotwords=options.hotwords, word_timestamps=options.word_timestamps,
                          no_speech_thresh=options.no_speech_thresh,
                          same_output_threshold=options.same_output_threshold, vad=options.vad_parameters,
                          final_context=self.config.final_context,
                          final_beam_size=self.config.final_beam_size,
                          refine_agreed_within=self.config.refine_agreed_within),
            vad=self.vad().new_stream() if options.use_vad else None, has_room=runner.meter.has_room)
        client = ServeClient(options, session, runner, max_connection_time=self.config.max_connection_time,
                             on_close=self._forget, metrics=self.metrics)
        refused = self.manager.try_add(client)
        if refused is not None:
            reason, minutes = refused
            log.info("client %s waits: %s", uid, reason)
            self.metrics.reject("full")
            websocket.send(protocol.wait(uid, minutes))
            websocket.close(1013, "server full")
            return
        resumable = self.resumable.enabled
        if resumable:
            self.resumable.add(client)
        conn = Connection(websocket, uid)
        client.attach(conn, lambda _: protocol.server_ready(uid, self.config.backend,
                                                            client.resume_token if resumable else None,
                                                            self.config.resume_window), resumed=False)
        for warning in warnings:
            client.send(protocol.warning(uid, warning))
        log.info("client %s connected (%d connected)", uid, len(self.manager))
        self.metrics.connections.inc()
        self._serve(client, conn)

    def _serve(self, client: ServeClient, conn: Connection) -> None:
        self.metrics.connections_active.inc()
        try:
            detached = client.serve(conn, can_detach=self.resumable.enabled)
        finally:
            self.metrics.connections_active.dec()
        if detached:
            if not conn.replaced:
                self.resumable.detached(client)
        else:
            log.info("client %s left (%d connected)", client.uid, len(self.manager))

    def _resume(self, websocket, options: protocol.ClientOptions) -> None:
        client, why = self.resumable.find(options.uid, options.resume_token)
        conn = Connection(websocket, options.uid)

        def ready(audio_received: float) -> str:
            return protocol.server_ready(client.uid, self.config.backend, client.resume_token,
                                         self.config.resume_window, audio_received=audio_received)

        if client is None or not client.attach(conn, ready, resumed=True):
            log.info("client %s: resume refused", options.uid)
            websocket.send(protocol.error(options.uid, why or "the session has ended"))
            websocket.close(1008, "no such session")
            return
        log.info("client %s resumed at %.2f s of audio", client.uid, client.audio_received)
        self._serve(client, conn)

    def _forget(self, client: ServeClient) -> None:
        self.manager.remove(client)
        self.resumable.remove(client)

    # --- serving ----------------------------------------------------------------------------------------------

    def capacity(self):
        """What this server can take now, for the HAProxy agent."""
        from whisper_live.server.agent import Capacity

        connected, spare = self.manager.room()
        return Capacity(listening=self._listening, draining=self.draining, connected=connected,
                        spare_clients=spare, max_clients=self.config.max_clients)

    def _process_request(self):
        try:
            from whisper_live.web.http import static_response
        except ImportError:
            static_response = None
        return Endpoints(self.state, self.metrics, self.access, static_response).process_request

    def serve_forever(self, ready: Optional[threading.Event] = None) -> None:
        if self.config.agent_port is not None:
            self._start_agent()  # says "down" until the WebSocket port listens
        from whisper_live.server.tls import server_ssl_context

        context = server_ssl_context(self.config.ssl_certfile, self.config.ssl_keyfile)
        if self.config.metrics_port:
            from whisper_live.server.status_server import StatusServer

            self._status_server = StatusServer(self.config.host, self.config.metrics_port,
                                               Endpoints(self.state, self.metrics, self.access), context)
            self._status_server.start()
        with serve(self.handle, self.config.host, self.config.port, process_request=self._process_request(),
                   max_size=2 ** 21, compression=None, ssl=context) as server:
            self._server = server
            log.info("listening on %s://%s:%d", "wss" if context else "ws", self.config.host, self.config.port)
            self._listening = True
            if ready is not None:
                ready.set()
            server.serve_forever()

    def _start_agent(self) -> None:
        from whisper_live.server.agent import Agent

        try:
            self.agent = Agent(self.config.host, self.config.agent_port, self.capacity).start()
        except OSError as exc:
            raise OSError(exc.errno, f"the HAProxy agent cannot listen on port {self.config.agent_port}: "
                                     f"{exc.strerror}") from exc

    def shutdown(self) -> None:
        self._listening = False
        if self.agent is not None:
            self.agent.stop()
            self.agent = None
        if self._server is not None:
            self._server.shutdown()
        if self._status_server is not None:
            self._status_server.stop()
        self.models.close()
