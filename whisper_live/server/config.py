"""The server's configuration: every setting of ``run_server.py``, with its default (set here once)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Optional

from whisper_live.streaming import StreamConfig
from whisper_live.streaming.config import default_finals
from whisper_live.transcriber import continues_mid_window


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
    options_timeout: float = 10.0  # seconds a new WebSocket connection has to send its options
    cache_path: Optional[str] = None
    cpu_threads: int = 1
    workers: int = 2
    max_batch_size: int = 4
    inference_mode: str = "scheduler"  # or "locked": thread per client, model behind a lock
    latency_target: float = 2.0
    admission_control: bool = True
    sized_encoder_input: bool = True  # faster_whisper: encoder input sized to the audio, else Whisper's 30 s
    # faster_whisper: CTranslate2 compute type of every kind of work, or "auto": chosen for each kind by timing
    # this machine (whisper_live/transcriber/compute_types.py)
    compute_type: str = "int8"
    # Seconds of committed speech replayed before a final window (0: off), and above 1, final windows decoded
    # as offline Whisper decodes (whisper_live/streaming). None: what suits the backend
    # (whisper_live/streaming/config.py's default_finals).
    final_context: Optional[float] = None
    final_beam_size: Optional[int] = None
    # With beam-searched finals, agreed text younger than this (s) is decoded again as a final (StreamConfig)
    refine_agreed_within: float = StreamConfig.refine_agreed_within
    # TCP port of the HAProxy agent-check responder (server/agent.py); None: no agent
    agent_port: Optional[int] = None
    # Seconds a session whose connection dropped is kept for its client to resume it (0: not kept)
    resume_timeout: float = 30.0
    # Speaker labels for the clients that ask (enable_diarization); False (--diarization off): refused, WARNING
    diarization: bool = True
    # Who may connect, TLS and the metrics port (whisper_live/server/ops/auth.py, endpoints.py, tls.py)
    api_keys: tuple = ()
    cors_origins: Optional[tuple] = None  # None: this server's host, localhost, browser extensions
    max_connections_per_ip: int = 0  # 0: no limit
    rate_limit_rpm: int = 0  # REST requests per minute per address (0: no limit)
    status_requires_key: bool = False  # /ready and /metrics need the API key too
    ssl_certfile: Optional[str] = None
    ssl_keyfile: Optional[str] = None
    metrics_port: Optional[int] = None
    # Phone calls on /twilio (whisper_live/server/session/twilio_call.py, docs/telephony.md): the webhook of
    # calls that name none, the hosts a call's own webhook may be on, Twilio's key for X-Twilio-Signature
    telephony_callback_url: Optional[str] = None
    telephony_callback_allow: tuple = ()
    # Seconds an ended call's webhook sender has left to deliver what still waits; the rest is given up
    telephony_callback_drain_timeout: float = 10.0
    twilio_auth_token: Optional[str] = field(default=None, repr=False)
    # Rooms (whisper_live/rooms): readers follow them on the API's port (None: the API is off), or at
    # public_url (a proxy in front); a room ends room_linger s after its last publisher left.
    rest_port: Optional[int] = None
    public_url: Optional[str] = None
    room_linger: float = 300.0
    max_readers: int = 2000

    def __post_init__(self):
        self.final_beam_size, self.final_context = default_finals(continues_mid_window(self.backend),
                                                                  self.final_beam_size, self.final_context)


