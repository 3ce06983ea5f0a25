"""``python -m whisper_live.bench``: N clients stream speech at real time to a WhisperLive-protocol server.

The JSON line goes to stdout, the table and progress to stderr; see docs/benchmark.md.
"""

from __future__ import annotations

import argparse
import ipaddress
import os
import socket
import sys
import time
from typing import Optional

from whisper_live.bench import audio as audio_mod
from whisper_live.bench import clients, drops, metrics, plan, report, room_run, server_process
from whisper_live.bench import machine_speed
from whisper_live.bench import offline as offline_mod
from whisper_live.bench import uploads as bench_uploads
from whisper_live.cli_exit import error_exit, interrupted_exit

MAX_CONNECTIONS = 256


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
    if args.frame_samples <= 0 or args.frame_samples > 10 * 16000:
        p.error("--frame-samples must be between 1 and 160000")
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


def _say(args: argparse.Namespace, text: str) -> None:
    if not args.quiet:
        print(text, file=sys.stderr, flush=True)


def _write_text(folder: str, name: str, text: str) -> None:
    os.makedirs(folder, exist_ok=True)
    with open(os.path.join(folder, name), "w", encoding="utf-8") as f:
        f.write(text + "\n")


def run_step(args, speeches: list[audio_mod.Speech], speakers: int, watch) -> dict:
    settings = plan.RunSettings(host=args.host, port=args.port, model=args.model,
                                language=args.language or None, use_vad=args.use_vad,
                                frame_samples=args.frame_samples, ready_timeout=args.ready_timeout,
                                finish_timeout=args.finish_timeout, drop_every=args.drop_every, codec=args.codec,
                                bitrate=args.bitrate if args.bitrate == "auto" else int(args.bitrate))
    room_readers, gate = room_run.start(args, settings, speakers)
    longest = max(speech.duration for speech in speeches)
    phrase = audio_mod.phrase_of(speeches[0])

    def silent_audio(i: int):
        background = audio_mod.silence(longest, args.silence, seed=args.seed * 1000 + i)
        if args.silent_speaks <= 0:
            return background
        # the silent clients' phrases spread evenly over each period
        return audio_mod.with_phrase(background, phrase, args.silent_speaks,
                                     first=(i + 0.5) * args.silent_speaks / args.silent)

    plans = plan.plan_clients(speeches, speakers, args.silent, silent_audio, args.stagger, args.seed)
    lengths = " / ".join(f"{speech.duration:.1f}" for speech in speeches)
    _say(args, f"run: {speakers} speaking + {args.silent} silent clients, {lengths} s of audio "
               f"each, to {settings.uri} ...")
    # Memory is reported as each loop ends (the longest audio's loops, after the latest start offset).
    marks = [args.stagger + (longest + audio_mod.LOOP_GAP) * (k + 1) / args.loops for k in range(args.loops)] \
        if args.loops > 1 else []
    uploader = bench_uploads.start(args)
    try:
        result = clients.run_clients(plans, settings, watch, idle_sample=args.idle_sample, rss_marks=marks,
                                     gate=gate)
    finally:
        uploaded = uploader.stop(wait=600) if uploader is not None else None  # (the upload in progress ends)
    figures = metrics.aggregate(result.logs)
    figures.update(room_run.figures(args, settings, result.logs, room_readers, lambda text: _say(args, text)))
    if uploaded is not None:
        figures["uploads"] = uploaded
    figures["meets_target"] = metrics.meets_target(figures, args.target_p90, args.target_max)
    figures["wall_s"] = round(result.wall_s, 2)
    figures["server"] = result.server
    figures["bench_cpu_percent"] = result.bench_cpu_percent
    figures["per_client"] = [metrics.client_figures(log) for log in result.logs]
    if args.drop_every > 0:
        figures["drops"] = dict(drop_every_s=args.drop_every,
                                **drops.drop_figures(result.logs, metrics.transcript))
    if args.loops > 1:
        rss = (result.server or {}).get("rss_at_marks_mb") or [None] * args.loops
        final = metrics.latency_by_part(result.logs, args.loops)
        partial = metrics.latency_by_part(result.logs, args.loops, metrics.partial_latencies)
        figures["by_loop"] = [{"loop": k + 1, "final_latency_s": final[k], "partial_latency_s": partial[k],
                               "rss_mb": rss[k]} for k in range(args.loops)]
    if len(speeches) > 1:
        figures["wer_by_audio"] = metrics.wer_by_source(result.logs)
    if args.transcripts:
        for log in result.logs:
            if log.speaking:
                _write_text(args.transcripts, f"N{speakers}-{log.name}.txt", metrics.transcript(log))
                _write_text(args.transcripts, f"N{speakers}-{log.name}.segments.tsv", metrics.segment_table(log))
    fin = figures["final_latency_s"]
    _say(args, f"  done in {result.wall_s:.1f} s: finished {figures['finished']}/{len(plans)}, final p90 "
               f"{fin['p90']} s, max {fin['max']} s, WER {figures['wer']}")
    for upload in figures.get("uploads") or []:
        _say(args, f"  upload {upload['file']}: {upload['status']} in {upload['seconds']} s "
                   f"(RTF {upload['rtf']}{', WER ' + str(upload['wer']) if 'wer' in upload else ''})")
    return figures


def _machine_speed(args: argparse.Namespace) -> dict:
    """The machine's speed, measured now (before any server runs), or why not."""
    if not args.machine_speed:
        return {"skipped": "--no-machine-speed"}
    _say(args, "measuring the machine's speed (tiny.en int8 beam 5, one thread) ...")
    try:
        return machine_speed.measure()
    except Exception as exc:  # model or audio missing: the rest of the report stands
        return {"skipped": f"{type(exc).__name__}: {exc}"}


def main(argv: Optional[list[str]] = None) -> int:
    args = parse_args(argv)
    speeches = audio_mod.read_speeches(args)
    if speeches is None:
        return 2
    speeches = audio_mod.with_starts(speeches, args.starts)
    date = report.utc_now()
    speed = _machine_speed(args)

    runs: list[dict] = []
    spawned: Optional[server_process.SpawnedServer] = None
    try:
        watch = None
        if args.spawn_server:
            _say(args, f"starting the server: {args.spawn_server}")
            spawned = server_process.SpawnedServer(args.spawn_server, args.host, args.port, args.spawn_timeout)
            spawned.__enter__()
            watch = server_process.ServerWatch(spawned.pid)
        elif args.server_pid:
            watch = server_process.ServerWatch(args.server_pid)
        for i, speakers in enumerate(args.steps):
            if i:
                time.sleep(args.pause)
            figures = run_step(args, speeches, speakers, watch)
            runs.append(figures)
            if args.ramp and not figures["meets_target"] and not args.ramp_all:
                _say(args, "  target missed: ramp stops here (--ramp-all to go on)")
                break
    except RuntimeError as exc:
        return error_exit(exc, 2)
    except KeyboardInterrupt:
        return interrupted_exit()
    finally:
        if spawned is not None:
            spawned.stop()

    offline: dict = {}
    speakers_ran = any(run["clients"] for run in runs)
    if not args.offline:
        offline["skipped"] = "--no-offline"
    elif any(speech.reference is None for speech in speeches):
        offline["skipped"] = "no reference text"
    elif not speakers_ran:
        offline["skipped"] = "no speaking clients"
    else:
        _say(args, "offline transcription of the same audio ...")
        try:
            offline = offline_mod.offline_wers(speeches, args.offline_model or args.model,
                                               args.offline_compute_type)
        except Exception as exc:  # model missing, faster-whisper missing: the rest of the report stands
            offline["skipped"] = f"{type(exc).__name__}: {exc}"
    offline_by_audio = {entry["audio"]: entry["wer"] for entry in offline.get("per_audio", [])}
    for run in runs:
        # offline WER weighted as this run's speakers were spread over the audio (for one audio: its WER)
        sources = [client["audio"] for client in run["per_client"] if client["speaking"]]
        run["wer_offline"] = offline_mod.offline_wer_for_clients(offline, speeches, sources)
        run["wer_vs_offline"] = report.relative_to_offline(run["wer"], run["wer_offline"])
        run["wer_minus_offline"] = (round(run["wer"] - run["wer_offline"], 4)
                                    if run["wer"] is not None and run["wer_offline"] is not None else None)
        for row in run.get("wer_by_audio", []):
            row["wer_offline"] = offline_by_audio.get(row["audio"])
    if args.transcripts:
        texts = [entry["text"] for entry in offline.get("per_audio", [])]
        for k, speech in enumerate(speeches, 1):
            if speech.reference is not None:
                _write_text(args.transcripts, f"reference-{k}.txt", speech.reference)
            if texts:
                _write_text(args.transcripts, f"offline-{k}.txt", texts[k - 1])
    for entry in offline.get("per_audio", []):
        entry.pop("text")  # the transcripts stay out of the JSON line

    doc = {
        "bench": "whisper_live.bench",
        "date": date,
        "machine": {**report.machine(), "speed": speed},
        "config": {
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
            "target_p90": args.target_p90,
            "target_max": args.target_max,
            "uploads": args.upload,
            "readers": args.readers,
            "stalled_readers": args.stalled_readers,
            "room": args.room,
        },
        "offline": offline,
        "runs": runs,
    }
    if args.ramp:
        met = [run["clients"] for run in runs if run["meets_target"]]
        doc["max_clients_meeting_target"] = max(met) if met else 0
    line = report.to_json(doc)
    if args.json_out:
        with open(args.json_out, "a", encoding="utf-8") as f:
            f.write(line + "\n")
    if not args.quiet:
        print(report.table(doc, per_client=args.per_client), file=sys.stderr, flush=True)
    print(line, flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
