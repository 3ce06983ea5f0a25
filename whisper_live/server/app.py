"""The server: loads the default model at start-up, admits connections and serves each as a live session."""

from __future__ import annotations

import logging
import threading
from typing import Optional

from websockets.sync.server import serve

from whisper_live import protocol
from whisper_live.admission import Admission
from whisper_live.rooms import RoomRegistry, publishing
from whisper_live.server.config import ServerConfig
from whisper_live.server.model_pool import ModelPool
from whisper_live.server.ops.auth import ApiKeys, ConnectionLimiter, OriginPolicy
from whisper_live.server.ops.balancer import UpgradeAdmission
from whisper_live.server.session import handshake
from whisper_live.server.session.client_manager import ClientManager
from whisper_live.server.session.connection import Connection
from whisper_live.server.session.drain import Drain
from whisper_live.server.session.phone_calls import PhoneCalls, is_call
from whisper_live.server.session.resume import ResumeRegistry
from whisper_live.server.ops.endpoints import AccessPolicy, Endpoints, client_address
from whisper_live.server.ops.health import ServerState
from whisper_live.server.ops.metrics import Metrics
from whisper_live.server.session.serve_client import ServeClient

log = logging.getLogger(__name__)


class TranscriptionServer:
    def __init__(self, config: ServerConfig, access: Optional[AccessPolicy] = None):
        self.config = config
        self.metrics = Metrics()
        self.access = access or AccessPolicy(
            ApiKeys(config.api_keys), OriginPolicy(config.cors_origins),
            ConnectionLimiter(config.max_connections_per_ip), config.status_requires_key,
            config.twilio_auth_token)
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
        self.resumable = ResumeRegistry(config.resume_timeout)
        self.rooms = RoomRegistry(linger=config.room_linger, max_readers=config.max_readers, metrics=self.metrics)
        # Callables run (each on its own thread, with the deadline) when the server drains: other APIs of
        # the process finish their requests in flight there (whisper_live/server/session/drain.py).
        self.drain_hooks: list = []
        self._drain = Drain(self)
        self.phone_calls = PhoneCalls(self)  # /twilio

    @property
    def draining(self) -> bool:
        """True from the first SIGTERM/SIGINT (:meth:`drain`) on: new clients get WAIT, /ready answers 503."""
        return self._drain.started

    def drain(self, timeout: float = 30.0) -> None:
        """Stop admitting, end every session as if END_OF_AUDIO had come, deliver, close with 1001, stop
        serving; returns within ``timeout`` seconds (whisper_live/server/session/drain.py)."""
        self._drain.run(timeout)

    def state(self) -> ServerState:
        """What /health and /ready answer from (whisper_live/server/ops/health.py)."""
        connected, counted = self.manager.connected(), self.manager.counted()  # counted: with places held
        admission = self.manager.admission
        return ServerState(loaded=True, draining=self.draining, clients=len(connected),
                           max_clients=admission.max_clients, headroom=admission.headroom(counted),
                           refusal=admission.refuse_reason(counted))

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
            self.manager.let_go(websocket)
            websocket.close(1013, "too many connections from this address")
            return
        try:
            self._handle(websocket)
        finally:
            self.manager.let_go(websocket)  # the place held before the upgrade, unless its session took it
            self.access.per_ip.release(address)

    def _handle(self, websocket) -> None:
        if is_call(websocket):
            self.manager.let_go(websocket)  # a call admits its tracks itself, all or none (twilio_call.py)
            self.phone_calls.serve(websocket)
            return
        try:
            options = handshake.read_options(websocket, self.draining, self.config.options_timeout)
            if options.resume:
                self.manager.let_go(websocket)
                self._resume(websocket, options)
                return
            choice = handshake.choose_runner(self, options)
            client = handshake.build_client(self, options, choice.runner)
            handshake.admit(self, client, websocket)
        except handshake.Refused as refused:
            if refused.metric:
                self.metrics.reject(refused.metric)
            if refused.reply:
                websocket.send(refused.reply)
            websocket.close(refused.code, refused.reason)
            return
        uid, resumable = client.uid, self.resumable.enabled
        conn = Connection(websocket, uid)
        room, room_warning = publishing.join(self, client, websocket)
        client.attach(conn, lambda _: protocol.server_ready(uid, self.config.backend,
                                                            client.resume_token if resumable else None,
                                                            self.config.resume_timeout, room=room), resumed=False)
        for warning in choice.warnings + ([room_warning] if room_warning else []):
            client.send(protocol.warning(uid, warning))
        log.info("client %s connected (%d connected)", uid, len(self.manager))
        self.metrics.connections.inc()
        self._serve(client, conn)

    def _serve(self, client: ServeClient, conn: Connection) -> None:
        self.metrics.connections_active.inc()
        try:
            detached = client.serve(conn)
        finally:
            self.metrics.connections_active.dec()
        if not detached:
            log.info("client %s left (%d connected)", client.uid, len(self.manager))

    def _resume(self, websocket, options: protocol.ClientOptions) -> None:
        client, why = self.resumable.find(options.uid, options.resume_token)
        conn = Connection(websocket, options.uid)

        def ready(audio_received: float) -> str:
            return protocol.server_ready(client.uid, self.config.backend, client.resume_token,
                                         self.config.resume_timeout, audio_received=audio_received,
                                         room=publishing.ready_fields(self, client, websocket))

        if client is None or not client.attach(conn, ready, resumed=True):
            log.info("client %s: resume refused", options.uid)
            websocket.send(protocol.error(options.uid, why or "the session has ended"))
            websocket.close(1008, "no such session")
            return
        log.info("client %s resumed at %.2f s of audio", client.uid, client.audio_received)
        self._serve(client, conn)

    def forget(self, client: ServeClient) -> None:
        """``client``'s session has ended: it no longer counts against capacity nor can be resumed."""
        self.manager.remove(client.session)
        self.resumable.remove(client)
        publishing.leave(client)

    # --- serving ----------------------------------------------------------------------------------------------

    def capacity(self):
        """What this server can take now, for the HAProxy agent."""
        from whisper_live.server.ops.agent import Capacity

        connected, spare = self.manager.room()
        return Capacity(listening=self._listening, draining=self.draining, connected=connected,
                        spare_clients=spare, max_clients=self.config.max_clients)

    def _process_request(self):
        try:
            from whisper_live.web.http import static_response
        except ImportError:
            static_response = None
        upgrades = UpgradeAdmission(self.manager, lambda: self.draining, self.resumable.holds, lambda: self.agent,
                                    self.metrics)
        return Endpoints(self.state, self.metrics, self.access, static_response, upgrades.check).process_request

    def serve_forever(self, ready: Optional[threading.Event] = None) -> None:
        if self.config.agent_port is not None:
            self._start_agent()  # says "down" until the WebSocket port listens
        from whisper_live.server.ops.tls import server_ssl_context

        context = server_ssl_context(self.config.ssl_certfile, self.config.ssl_keyfile)
        if self.config.metrics_port:
            from whisper_live.server.ops.status_server import StatusServer

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
        from whisper_live.server.ops.agent import Agent

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
        self.manager.close()
        self.rooms.stop()
        self.models.close()
