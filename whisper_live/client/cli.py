"""``whisper-live-client`` / ``run_client.py``: WhisperLive's client flags, plus streams and transcript files.

Exit status: 0 done; 1 a one-line error (server unreachable, busy, ERROR or early DISCONNECT, bad input);
2 bad arguments; 130 a file run stopped with Ctrl-C (for the microphone and streams, Ctrl-C is the normal
way to stop, so it exits 0).
"""

from __future__ import annotations

import argparse
import logging
import sys
from pathlib import Path
from typing import Optional

from whisper_live.cli_exit import error_exit, interrupted_exit

from .errors import ClientError
from .output import FORMATS, format_from_path


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="whisper-live-client",
        description="Transcribe files, the microphone, or an RTSP/HLS stream with a whisper-live server.")
    src = p.add_argument_group("input (default: the microphone)")
    src.add_argument("--files", "-f", nargs="+", metavar="FILE", help="audio or video files, one session each")
    src.add_argument("--rtsp_url", metavar="URL", help="an RTSP stream (reconnects when it drops)")
    src.add_argument("--hls_url", metavar="URL", help="an HLS playlist (.m3u8), live or not")
    src.add_argument("--rtsp_transport", choices=("tcp", "udp"), default="tcp",
                     help="RTSP transport (default: tcp, interleaved; udp for sources without it)")
    src.add_argument("--max_reconnects", type=int, default=5, metavar="N",
                     help="stream: reopen a dropped stream up to N times in a row (default: 5)")
    src.add_argument("--reconnect_delay", type=float, default=2.0, metavar="S",
                     help="stream: seconds between reconnection attempts (default: 2)")
    srv = p.add_argument_group("server")
    srv.add_argument("--server", "-s", default="localhost", help="host name or address (default: localhost)")
    srv.add_argument("--port", "-p", type=int, default=9090, help="port (default: 9090)")
    srv.add_argument("--use_wss", action="store_true", help="connect with TLS (wss://)")
    srv.add_argument("--api_key", default=None, metavar="KEY",
                     help="the server's API key, sent as 'Authorization: Bearer KEY' (default: none)")
    srv.add_argument("--ca_file", default=None, metavar="PEM",
                     help="with --use_wss: verify the server's certificate against this CA file (PEM) "
                          "instead of the system's, e.g. for a self-signed certificate")
    srv.add_argument("--max_retries", type=int, default=0, metavar="N",
                     help="when the server is full (WAIT), try again up to N times (default: 0)")
    room = p.add_argument_group("rooms (live captions for readers; docs/rooms.md)")
    room.add_argument("--room", default=None, metavar="ROOM",
                      help="publish this session's transcript into room ROOM; the server prints its reader link")
    room.add_argument("--speaker_name", default="", metavar="NAME", help="the name readers see for this speaker")
    room.add_argument("--room_public", action="store_true",
                      help="readers need no token (a room is private by default: its links carry a reader token)")
    room.add_argument("--watch", default=None, metavar="ROOM",
                      help="follow room ROOM as a reader instead of sending audio (on the server's API port)")
    room.add_argument("--token", default=None, metavar="TOKEN", help="--watch: the reader token of a private room")
    room.add_argument("--rest_port", type=int, default=8000, metavar="PORT",
                      help="--watch: the server's API port (its --rest_port)")
    asr = p.add_argument_group("transcription")
    asr.add_argument("--model", "-m", default=None, help="model to ask for (default: the server's)")
    asr.add_argument("--lang", "-l", default=None, help="language code, e.g. en (default: detect)")
    asr.add_argument("--translate", "-t", action="store_true", help="translate to English")
    asr.add_argument("--no_vad", dest="use_vad", action="store_false", help="do not gate with voice detection")
    asr.add_argument("--word_timestamps", action="store_true", help="ask for word times (kept in JSON output)")
    asr.add_argument("--initial_prompt", default=None, help="text to condition the model on")
    asr.add_argument("--hotwords", default=None, help="words to make more likely")
    asr.add_argument("--audio_format", choices=("float32", "int16"), default="float32",
                     help="sample format on the wire (int16 halves the bandwidth)")
    asr.add_argument("--codec", choices=("pcm", "opus", "mulaw", "alaw"), default=None,
                     help="pcm (default): --audio_format as is; opus: Opus packets at --bitrate (1/20 of "
                          "float32's bandwidth at 24 kbit/s); mulaw or alaw: telephone audio, G.711 at 8 kHz "
                          "(a quarter of float32's bandwidth at half the rate; the server resamples)")
    asr.add_argument("--bitrate", type=_bitrate, default="auto", metavar="auto|KBPS",
                     help="with --codec opus: kbit/s (6 to 256), or auto (default): start at 24 and step "
                          "between 32 and 8 as the link's send backlog grows or drains")
    spk = p.add_argument_group("speakers (diarization; transcripts and the console name who speaks)")
    spk.add_argument("--diarize", action="store_true",
                     help="ask the server to label speakers: SPEAKER_00, SPEAKER_01, ... in order of appearance")
    spk.add_argument("--max_speakers", type=_positive_int, default=None, metavar="N",
                     help="at most N speakers (default: the server's); implies --diarize")
    spk.add_argument("--speaker_names", type=_names, default=None, metavar="A,B,...",
                     help="names for the speakers in order of appearance, in place of SPEAKER_00, ...; "
                          "implies --diarize")
    spk.add_argument("--diarization_threshold", type=float, default=None, metavar="X",
                     help="cosine similarity (-1 to 1) above which a voice is a known speaker (default: the "
                          "server's); higher makes new speakers more readily")
    out = p.add_argument_group("output")
    out.add_argument("--output_file", "-o", metavar="PATH",
                     help="transcript file of a single input; with several inputs, a directory")
    out.add_argument("--format", choices=FORMATS, default=None,
                     help="transcript format (default: from the -o extension, else srt); with --format and no "
                          "-o, each file's transcript is written next to it")
    out.add_argument("--enable_timestamps", action="store_true", help="show segment times in the console")
    out.add_argument("--n_display_segments", type=int, default=3, metavar="N",
                     help="segments shown in the live console view (default: 3)")
    out.add_argument("--quiet", "-q", action="store_true", help="no live console view or progress")
    out.add_argument("--verbose", "-v", action="store_true", help="log connection details")
    aud = p.add_argument_group("audio")
    aud.add_argument("--mute_audio_playback", "-a", action="store_true", help="do not play file audio")
    aud.add_argument("--save_output_recording", "-r", action="store_true",
                     help="save the audio sent (microphone) as a WAV file")
    aud.add_argument("--output_recording", metavar="PATH", default=None,
                     help="where -r saves it (default: ./output_recording.wav); implies -r")
    aud.add_argument("--speed", type=float, default=1.0,
                     help="file pacing: 1 = real time (default), 4 = four times faster, 0 = as fast as possible")
    return p


def _bitrate(value: str):
    if value == "auto":
        return value
    try:
        kbps = int(value)
    except ValueError:
        kbps = 0
    if not 6 <= kbps <= 256:
        raise argparse.ArgumentTypeError(f"'auto' or kbit/s from 6 to 256, not {value!r}")
    return kbps


def _positive_int(value: str) -> int:
    try:
        number = int(value)
    except ValueError:
        number = 0
    if number < 1:
        raise argparse.ArgumentTypeError(f"a whole number from 1, not {value!r}")
    return number


def _names(value: str) -> list[str]:
    names = [name.strip() for name in value.split(",")]
    if not all(names):
        raise argparse.ArgumentTypeError(f"names separated by commas, none of them empty, not {value!r}")
    return names


def transcript_paths(inputs: list[str], output: Optional[str], fmt: Optional[str],
                     files: bool) -> tuple[list[Optional[Path]], list[Optional[str]]]:
    """Where each input's transcript goes and in which format (None: not written)."""
    if output is None and fmt is None:
        return [None] * len(inputs), [None] * len(inputs)
    if output is not None:
        out = Path(output)
        single_file = len(inputs) == 1 and not (out.is_dir() or output.endswith(("/", "\\")))
        if single_file:
            return [out], [fmt or format_from_path(out)]
        if out.suffix.lower() in (".srt", ".vtt", ".txt", ".json") and not out.is_dir():
            raise ClientError(f"{len(inputs)} inputs but -o {output} names one file: give a directory instead")
        fmt = fmt or "srt"
        return [out / f"{Path(i).stem}.{fmt}" for i in inputs], [fmt] * len(inputs)
    assert fmt is not None
    if files:
        return [Path(i).with_suffix(f".{fmt}") for i in inputs], [fmt] * len(inputs)
    return [Path(f"transcript.{fmt}")], [fmt]


def main(argv: Optional[list[str]] = None) -> int:
    args = build_parser().parse_args(argv)
    logging.basicConfig(level=logging.INFO if args.verbose else logging.WARNING, format="%(message)s")
    if sum(bool(x) for x in (args.files, args.rtsp_url, args.hls_url)) > 1:
        return error_exit("give one kind of input: --files, --rtsp_url or --hls_url", 2)
    if args.speed < 0:
        return error_exit("--speed must be 0 (as fast as possible) or more", 2)
    try:
        return _watch(args) if args.watch else _run(args)
    except ClientError as exc:
        return error_exit(exc, 1)
    except KeyboardInterrupt:
        return interrupted_exit()


def _run(args) -> int:
    from .client import TranscriptionClient
    from .console import ConsoleView

    if args.files:
        inputs = list(args.files)
    elif args.rtsp_url or args.hls_url:
        inputs = [args.rtsp_url or args.hls_url]
    else:
        inputs = ["microphone"]
    paths, formats = transcript_paths(inputs, args.output_file, args.format, bool(args.files))
    view = ConsoleView(0 if args.quiet else args.n_display_segments, args.enable_timestamps)
    client = TranscriptionClient(
        args.server, args.port, lang=args.lang, translate=args.translate, model=args.model,
        use_vad=args.use_vad, save_output_recording=args.save_output_recording or bool(args.output_recording),
        output_recording_filename=args.output_recording or "./output_recording.wav",
        mute_audio_playback=args.mute_audio_playback, word_timestamps=args.word_timestamps,
        initial_prompt=args.initial_prompt, hotwords=args.hotwords, use_wss=args.use_wss,
        api_key=args.api_key, ca_file=args.ca_file,
        max_retries=args.max_retries, speed=args.speed, audio_format=args.audio_format, view=view,
        codec=None if args.codec == "pcm" else args.codec, bitrate=args.bitrate,
        show_progress=not args.quiet, log_transcription=not args.quiet,
        room=args.room, speaker_name=args.speaker_name, room_public=args.room_public,
        enable_diarization=args.diarize, max_speakers=args.max_speakers, speaker_names=args.speaker_names or (),
        diarization_threshold=args.diarization_threshold,
        stream_options={"max_reconnects": args.max_reconnects, "reconnect_delay": args.reconnect_delay,
                        "rtsp_transport": args.rtsp_transport})
    status = 0
    for name, path, fmt in zip(inputs, paths, formats):
        client.client.srt_file_path = str(path) if path else None
        client.client.output_format = fmt
        try:
            if args.files:
                client(name)
            elif args.rtsp_url:
                client(rtsp_url=name)
            elif args.hls_url:
                client(hls_url=name)
            else:
                client()
        except ClientError as exc:
            print(f"error: {name}: {exc}" if len(inputs) > 1 else f"error: {exc}", file=sys.stderr)
            status = 1
            if len(inputs) == 1 or _is_server_problem(exc):
                return 1
            continue
        if path:
            print(f"transcript written to {path}", file=sys.stderr)
        if client.interrupted:
            return 130 if args.files else 0
    return status


def _watch(args) -> int:
    from .watch import WatchView, follow, watch_url

    ssl = None
    if args.use_wss and args.ca_file:
        import ssl as ssl_module
        ssl = ssl_module.create_default_context(cafile=args.ca_file)
    follow(lambda after: watch_url(args.server, args.rest_port, args.watch, args.token, args.use_wss, after),
           WatchView(live=not args.quiet), max_reconnects=args.max_reconnects, reconnect_delay=args.reconnect_delay,
           ssl=ssl)
    return 0


def _is_server_problem(exc: ClientError) -> bool:
    from .errors import ServerBusy, ServerUnreachable
    return isinstance(exc, (ServerUnreachable, ServerBusy))


if __name__ == "__main__":
    sys.exit(main())
