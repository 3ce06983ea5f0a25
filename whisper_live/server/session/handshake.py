"""A WhisperLive-protocol connection's first steps: read its options, choose its model, build its session, admit it.

Each step either returns what the next one needs or raises :class:`Refused`, which carries what the client is
told (an ERROR or a WAIT), the close code, and the reason counted in the metrics; the server
(whisper_live/server/app.py) sends it and closes. Nothing here reads audio: an admitted session is served by
:class:`~whisper_live.server.session.serve_client.ServeClient`.
"""

from __future__ import annotations

import logging
import uuid
from dataclasses import dataclass, field
from typing import Optional

from websockets.exceptions import ConnectionClosed

from whisper_live import protocol
from whisper_live.diarization import live as diarization
from whisper_live.fit import settle_options
from whisper_live.models import ModelNotFound
from whisper_live.server.session.serve_client import ServeClient
from whisper_live.streaming import Stream, StreamConfig
from whisper_live.transcriber import BackendUnavailable

log = logging.getLogger(__name__)


class Refused(Exception):
    """The connection is not served: ``reply`` (if any) is sent, then a close with ``code`` and ``reason``."""

    def __init__(self, reply: Optional[str], code: int, reason: str, metric: Optional[str] = None):
        super().__init__(reason)
        self.reply, self.code, self.reason, self.metric = reply, code, reason, metric


@dataclass
class Choice:
    """The runner serving a client, and the warnings it is sent once admitted."""

    runner: object
    warnings: list = field(default_factory=list)


def read_options(websocket, draining: bool, timeout: float) -> protocol.ClientOptions:
    """The first frame as options (a uid is given when the client sent none), refused when none came within
    ``timeout`` s (``--options_timeout``) and while draining."""
    try:
        first = websocket.recv(timeout=timeout)
    except TimeoutError:
        raise Refused(None, 1008, "no options received") from None
    except ConnectionClosed:
        raise Refused(None, 1000, "") from None
    try:
        options = protocol.ClientOptions.from_message(first)
    except protocol.ProtocolError as exc:
        raise Refused(protocol.error("", str(exc)), 1003, "bad options", "bad_options") from None
    options.uid = options.uid or str(uuid.uuid4())
    if draining:
        raise Refused(protocol.wait(options.uid, 0.0), 1013, "server shutting down", "draining")
    return options


def choose_runner(server, options: protocol.ClientOptions) -> Choice:
    """The runner of the model that serves ``options`` (loaded on first use with ``--no_single_model``), and
    what the client is warned of: a model it asked for and does not get, and what the model cannot do of what
    it asked (whisper_live/fit.py: the language then falls back, the task to transcription)."""
    warnings = []
    try:
        if server.config.single_model:
            runner = server.default_runner
            served = runner.transcriber.model_name
            if options.model and options.model != served:
                warnings.append(f"this server serves every client with model {served!r}; "
                                f"requested model {options.model!r} is not used")
        else:
            runner = server.models.get(options.model)
    except (ModelNotFound, BackendUnavailable, ValueError, RuntimeError) as exc:
        raise Refused(protocol.error(options.uid, f"model {options.model!r} cannot be loaded: {exc}"), 1011,
                      "model unavailable", "model") from None
    warnings += settle_options(runner.transcriber, options,
                               diarization=server.config.diarization and diarization.available())
    return Choice(runner, warnings)


def build_client(server, options: protocol.ClientOptions, runner) -> ServeClient:
    """The client's stream (:func:`build_stream`) and the live session around it."""
    config = server.config
    return ServeClient(options, build_stream(server, options, runner), runner,
                       max_connection_time=config.max_connection_time, resume_timeout=config.resume_timeout,
                       on_end=server.forget, metrics=server.metrics,
                       labeler=diarization.session_labeler(options) if options.enable_diarization else None)


def build_stream(server, options: protocol.ClientOptions, runner) -> Stream:
    """A session's stream: the streaming core, configured from its options and the server's defaults."""
    config = server.config
    return Stream(
        StreamConfig(language=options.language, task=options.task, initial_prompt=options.initial_prompt,
                     hotwords=options.hotwords, word_timestamps=options.word_timestamps,
                     word_times_for_speakers=bool(options.enable_diarization),
                     no_speech_thresh=options.no_speech_thresh,
                     same_output_threshold=options.same_output_threshold, vad=options.vad_parameters,
                     final_context=config.final_context, final_beam_size=config.final_beam_size,
                     refine_agreed_within=config.refine_agreed_within),
        vad=server.vad().new_stream() if options.use_vad else None, has_room=runner.meter.has_room)


def admit(server, client: ServeClient, connection=None) -> None:
    """Register the session with the server (it counts against its capacity from now on); WAIT when full.
    The session takes the place its ``connection`` held before the upgrade, if any
    (whisper_live/server/ops/balancer.py): that place was its admission."""
    refused = server.manager.try_add(client.session, key=connection)
    if refused is not None:
        reason, minutes = refused
        log.info("client %s waits: %s", client.uid, reason)
        raise Refused(protocol.wait(client.uid, minutes), 1013, "server full", "full") from None
    if server.resumable.enabled:
        server.resumable.add(client)
