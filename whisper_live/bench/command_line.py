"""The load benchmark's command line (``python -m whisper_live.bench``): its options, the checks between them,
and the options as the JSON line reports them (``config``)."""

from __future__ import annotations

import argparse
import ipaddress
import socket
from typing import Optional

from whisper_live.bench import audio as audio_mod
from whisper_live.bench import room_run

MAX_CONNECTIONS = 256
MAX_FRAME_SAMPLES = 10 * 16000  # the most audio fed at a time, by the load bench's clients or the direct bench


def parse_args(argv: Optional[list[str]] = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(
        prog="python -m whisper_live.bench",
        description="Load benchmark: N concurrent clients stream a speech file at real-time pace over "
                    "WhisperLive's WebSocket protocol and measure latency, WER, server CPU and memory.",
    )
    g = p.add_argument_group("load")
    g.add_argument("-n", "--clients", type=int, default=1, help="speaking clients (default 1)")
    g.add_argument("--ramp", help="comma-separated client counts, e.g. 1,2,4,8: one run each, in order; "
                                  "reports the largest count meeting the target")
    g.add_argument("--ramp-all", action="store_true", help="in --ramp, go on after a count misses the target")
    g.add_argument("--pause", type=float, default=3.0, help="seconds between ramp runs (default 3)")
    g.add_argument("--rotate-audio", action="store_true",
                   help="in --ramp, each run's speakers take the audio after the previous run's: with --starts, "
                        "runs of one count (e.g. --ramp 4,4,4 --starts 3) stream every start once, so that "
                        "their mean WER is not one sample of where the windows fall")
    g.add_argument("--silent", type=int, default=0, help="extra clients that stream silence (default 0)")
    g.add_argument("--silence", choices=("noise", "zero"), default="noise",
                   help="what silent clients send: low noise (about -60 dBFS, default) or digital zero")
    g.add_argument("--silent-speaks", type=float, default=0.0, metavar="SECONDS",
                   help="silent clients are silent most of the time: each says a short phrase of the speech "
                        "every SECONDS s, each at its own moment; their final latency is reported apart "
                        "(default 0: never)")
    g.add_argument("--drop-every", type=float, default=0.0, metavar="SECONDS",
                   help="each client drops its connection (no close frame) every SECONDS of audio "
                        "and resumes its session (the server's --resume_timeout); reports the words lost and "
                        "duplicated (default 0: no drops)")
    g.add_argument("--stagger", type=float, default=1.0,
                   help="clients start at random offsets within this many seconds (default 1)")
    g.add_argument("--seed", type=int, default=0, help="seed of the start offsets and the noise (default 0)")
    g.add_argument("--frame-samples", type=int, default=4096,
                   help="samples per audio frame (default 4096 = 256 ms, as WhisperLive's client)")

    g = p.add_argument_group("audio")
    g.add_argument("--audio", action="append",
                   help="speech file (any format ffmpeg/libsndfile reads), or a folder of ../shared/audio "
                        "(e.g. en/librispeech: its clips joined); repeat it to give speakers different "
                        "audio (speaker i streams the (i mod count)-th); default: the 3.9 min LJ Speech "
                        "passage from ../shared, else an espeak-ng clip")
    g.add_argument("--mixed", action="store_true",
                   help="speakers take turns over four sets of ../shared/audio: the LJ Speech passage, "
                        "and the Hi-Fi TTS, LibriSpeech and CMU ARCTIC folders joined (%s)"
                        % ", ".join(audio_mod.MIXED))
    g.add_argument("--starts", type=int, default=1,
                   help="give the speakers each audio at this many starts, each %.3f s later than the one "
                        "before (silence put before it), as separate audio with its own offline WER: where "
                        "the windows fall moves the WER by a few words, so with one start all speakers of "
                        "one audio are one sample (default 1)" % audio_mod.START_STEP)
    g.add_argument("--reference", action="append",
                   help="reference transcript: the text, or a file holding it; once per --audio, in order")
    g.add_argument("--duration", type=float, help="use only the first DURATION seconds of the audio")
    g.add_argument("--loops", type=int, default=1,
                   help="stream the audio (after --duration) this many times in a row, 1 s apart, as one "
                        "long session: a soak run; the report adds final and partial latency and server "
                        "memory per loop (default 1)")

    g.add_argument("--codec", choices=("mulaw", "alaw", "opus"), default=None,
                   help="send the audio as telephone audio: G.711 mu-law or A-law at 8 kHz, or as Opus packets "
                        "at --bitrate (default: float32 at 16 kHz)")
    g.add_argument("--bitrate", default="24", metavar="auto|KBPS",
                   help="with --codec opus: kbit/s (default 24), or auto: stepping between 32 and 8 kbit/s "
                        "with the send backlog, as the client does")
    g = p.add_argument_group("server")
    g.add_argument("--host", default="127.0.0.1")
    g.add_argument("--port", type=int, default=9090)
    g.add_argument("--allow-remote", action="store_true",
                   help="allow a --host that is not this machine (load tests belong on your own servers)")
    g.add_argument("--model", help="the model clients ask for in their options (default: none, the server's)")
    g.add_argument("--language", default="en", help="language clients ask for (default en; '' to detect)")
    g.add_argument("--no-vad", dest="use_vad", action="store_false", help="clients ask for use_vad=false")
    g.add_argument("--diarize", action="store_true",
                   help="clients ask for speaker labels (enable_diarization), to measure what labels cost")
    g.add_argument("--server-pid", type=int, help="PID of the server, to measure its CPU and memory")
    g.add_argument("--spawn-server", metavar="CMD",
                   help="start this server command, wait for --port, measure it, stop it at the end")
    g.add_argument("--spawn-timeout", type=float, default=180.0, help="seconds to wait for it to listen")
    g.add_argument("--idle-sample", type=float, default=1.0,
                   help="seconds of server CPU measured before the clients connect (default 1)")
    g.add_argument("--ready-timeout", type=float, default=30.0,
                   help="seconds a client waits for SERVER_READY/WAIT/ERROR (default 30)")
    g.add_argument("--finish-timeout", type=float, default=60.0,
                   help="seconds a client waits for DISCONNECT after END_OF_AUDIO (default 60)")

    g = p.add_argument_group("files through the OpenAI-compatible API (server with --enable_rest)")
    g.add_argument("--upload", action="append", metavar="FILE",
                   help="upload this file to /v1/audio/transcriptions again and again while the clients "
                        "stream (repeatable: in turn); each upload's time, real-time factor and WER are "
                        "reported under 'uploads'")
    g.add_argument("--upload-reference", action="append", metavar="TEXT",
                   help="reference transcript of each --upload (the text or a file holding it), in order")
    g.add_argument("--api-url", help="the API's base URL (default http://HOST:8000/v1)")

    room_run.add_arguments(p)

    g = p.add_argument_group("target")
    g.add_argument("--target-p90", type=float, default=2.0, help="final-latency p90 target, s (default 2.0)")
    g.add_argument("--target-max", type=float, help="also require final-latency max <= this, s (off by default)")

    g = p.add_argument_group("offline WER (the same audio transcribed in one go, for comparison)")
    g.add_argument("--offline-model",
                   help="model for the offline WER (default: --model, else tiny.en); a name or a CT2 directory")
    g.add_argument("--offline-compute-type", default="int8",
                   help="compute type of the offline model (default int8, what the server's faster_whisper "
                        "backend uses on a CPU, so both transcripts come from the same weights); "
                        "'default' keeps the saved type (float32 on CPU for tiny.en)")
    g.add_argument("--offline-greedy", action="store_true",
                   help="also transcribe the audio offline with greedy decoding (beam 1): the WER that the "
                        "quality ladder's cheapest rungs are held to")
    g.add_argument("--no-offline", dest="offline", action="store_false",
                   help="skip the offline transcription of the audio")
    g.add_argument("--no-machine-speed", dest="machine_speed", action="store_false",
                   help="skip measuring the machine's speed (tiny.en int8 beam 5 on one thread, a few seconds "
                        "before the runs: capacity per unit of it compares machines; bench/machine_speed.py)")

    g = p.add_argument_group("output")
    g.add_argument("--json-out", help="also append the JSON line to this file")
    g.add_argument("--transcripts", metavar="DIR",
                   help="write each speaking client's completed transcript to DIR/N<clients>-<name>.txt, its "
                        "completed segments with their final latency to DIR/N<clients>-<name>.segments.tsv, and "
                        "the offline transcript and the reference of each audio to DIR/offline-<k>.txt and "
                        "DIR/reference-<k>.txt (k: the audio's place in the run, from 1), to see where the "
                        "errors are")
    g.add_argument("--no-per-client", dest="per_client", action="store_false", help="aggregate rows only")
    g.add_argument("-q", "--quiet", action="store_true", help="no table or progress on stderr")
    args = p.parse_args(argv)

    if args.ramp:
        try:
            args.steps = [int(x) for x in args.ramp.split(",") if x.strip()]
        except ValueError:
            p.error(f"--ramp takes comma-separated integers, not {args.ramp!r}")
    else:
        args.steps = [args.clients]
    if not args.steps or min(args.steps) < 0 or args.silent < 0:
        p.error("client counts must be >= 0")
    if args.silent_speaks < 0:
        p.error("--silent-speaks must be >= 0")
    if args.drop_every < 0:
        p.error("--drop-every must be >= 0")
    if max(args.steps) + args.silent > MAX_CONNECTIONS:
        p.error(f"at most {MAX_CONNECTIONS} connections in all")
    if max(args.steps) + args.silent == 0:
        p.error("nothing to do: no speaking and no silent clients")
    room_run.check_arguments(p, args)
    if args.loops < 1:
        p.error("--loops must be at least 1")
    if args.starts < 1:
        p.error("--starts must be at least 1")
    if args.rotate_audio and not args.ramp:
        p.error("--rotate-audio takes --ramp")
    if not 1 <= args.frame_samples <= MAX_FRAME_SAMPLES:
        p.error(f"--frame-samples must be between 1 and {MAX_FRAME_SAMPLES}")
    if args.mixed and args.audio:
        p.error("--mixed and --audio exclude each other")
    if args.reference and len(args.reference) != len(args.audio or [None]):
        p.error("give one --reference per --audio")
    if args.server_pid and args.spawn_server:
        p.error("--server-pid and --spawn-server exclude each other")
    if not args.allow_remote and not _is_local(args.host):
        p.error(f"{args.host} is not this machine; pass --allow-remote to load a server you run elsewhere")
    return args


def _is_local(host: str) -> bool:
    try:
        return ipaddress.ip_address(socket.gethostbyname(host)).is_loopback
    except (OSError, ValueError):
        return False


def config_of(args: argparse.Namespace, speeches: list[audio_mod.Speech]) -> dict:
    """The JSON line's ``config``: what the runs were asked to do, with what audio."""
    return {
        "server": f"ws://{args.host}:{args.port}",
        "spawned": args.spawn_server,
        "audio": " + ".join(speech.source for speech in speeches),
        "audio_s": round(sum(speech.duration for speech in speeches), 3),
        "audio_note": "; ".join(speech.note for speech in speeches if speech.note),
        "reference_words": (sum(len(speech.reference.split()) for speech in speeches)
                            if all(speech.reference is not None for speech in speeches) else None),
        "model": args.model,
        "language": args.language or None,
        "use_vad": args.use_vad,
        "diarize": args.diarize,
        "frame_samples": args.frame_samples,
        "codec": args.codec or "float32",
        "bitrate_kbps": args.bitrate if args.codec == "opus" else None,
        "silent": args.silent,
        "silence": args.silence,
        "silent_speaks_every_s": args.silent_speaks or None,
        "stagger_s": args.stagger,
        "loops": args.loops,
        "seed": args.seed,
        "steps": args.steps,
        "rotate_audio": args.rotate_audio,
        "target_p90": args.target_p90,
        "target_max": args.target_max,
        "uploads": args.upload,
        "readers": args.readers,
        "stalled_readers": args.stalled_readers,
        "room": args.room,
    }
