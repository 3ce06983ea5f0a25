"""The workloads of BENCHMARKS.md, each one bench command against a server it starts.

``python -m whisper_live.bench.workloads`` runs them all (or the ones or groups named) and writes each
run's record to ``OUT/<workload>.json`` (bench/workload_run.py): the bench's JSON line with the exact
commands, the code's commit, the machine (with its model speed, measured in the same run) and the
software versions beside it. OUT is ``benchmarks/results`` on an AVX-512 machine and
``benchmarks/results/<family>`` on others, so that one machine's results never overwrite another's.
``python -m whisper_live.bench.tables benchmarks/results`` turns those files into BENCHMARKS.md's
tables, so no figure is typed by hand. ``--smoke`` runs the same shapes cut down to a few seconds and at
most two clients of each kind, to check that everything starts (its figures mean nothing).

Most workloads run the load bench (``python -m whisper_live.bench``); the others run a bench of their
own (``module``): phone calls (bench.telephony), a file through the API (bench.api_file), speaker
labels (bench.diarization: the labeller alone, live, through REST), a talk over a throttled link
(bench.throttled_link). A comparison is two workloads run one after the other on one machine
(``phone-1`` and ``phone-1-pcm``); a group (``phones``) names them together.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Optional

from whisper_live.bench.workload import Workload, server_command  # noqa: F401  (server_command: the cluster test)
from whisper_live.bench.workload_run import (UPLOAD_FILE, UPLOAD_REFERENCE, family, listing, machine,
                                             results_folder, run)

TELEPHONY = "whisper_live.bench.telephony"
API_FILE = "whisper_live.bench.api_file"
DIARIZATION = "whisper_live.bench.diarization"
THROTTLED_LINK = "whisper_live.bench.throttled_link"
REST = ("--enable_rest", "--rest_port", "REST_PORT")
API = ("--api-url", "http://127.0.0.1:REST_PORT/v1")
LJ_PASSAGE = "../shared/audio/en/long/ljspeech_LJ001-0001_to_0032_concat.flac"
LIVE = "ws://127.0.0.1:PORT"
# 8 conversations of 3 speakers at once, turns of whole clips (so each has a reference and a WER)
DIAR_8 = ("--conversation", "3", "--live", LIVE, "--clients", "8", "--whole-clips")


# The load bench's figures on the LJ passage use each speaker's own start (--starts), so that a run
# samples where the windows fall instead of repeating one start 8 times (docs/benchmark.md).
TARGET = ("--target-max", "4")
RAMP = ("--ramp-all", "--duration", "90", "--seed", "1") + TARGET
LOAD = (
    Workload("speakers-8", "8 speakers", ("--clients", "8", "--starts", "8", "--seed", "2") + TARGET),
    Workload("speakers-16", "{speakers}, 90 s", ("--ramp", "8,12,16") + RAMP),
    Workload("silent-12", "4 speaking + 12 silent",
             ("--clients", "4", "--silent", "12", "--starts", "4", "--seed", "1") + TARGET),
    Workload("silent-12-speaking", "4 speaking + 12 saying a phrase every 30 s",
             ("--clients", "4", "--silent", "12", "--silent-speaks", "30", "--starts", "4", "--seed", "1")
             + TARGET),
    Workload("silent-16", "16 silent, 60 s",
             ("--clients", "0", "--silent", "16", "--duration", "60", "--no-offline") + TARGET),
    Workload("drops-8", "8 speakers dropping every 20 s",
             ("--clients", "8", "--starts", "8", "--seed", "2", "--drop-every", "20") + TARGET),
    Workload("mixed", "8 speakers, mixed sets", ("--clients", "8", "--mixed", "--starts", "2") + TARGET),
    Workload("thread-per-client", "8 speakers, thread per client",
             ("--clients", "8", "--starts", "8", "--seed", "2") + TARGET, server=("--inference_mode", "locked")),
    Workload("base", "{speakers}, base, 90 s", ("--ramp", "1,2,4,8", "--offline-model", "base") + RAMP,
             server=("--faster_whisper_custom_model_path", "base"), model="base"),
    # Encoder inputs sized to the audio (docs/streaming.md, "Encoder input"), and Whisper's 30 s for comparison
    Workload("speakers-24", "24 speakers", ("--clients", "24", "--starts", "24", "--seed", "2",
                                            "--target-p90", "1.5", "--target-max", "3")),
    Workload("speakers-24-full-window", "24 speakers, 30 s encoder inputs",
             ("--clients", "24", "--starts", "24", "--seed", "2", "--target-p90", "1.5", "--target-max", "3"),
             server=("--full_encoder_input",)),
    Workload("base-8", "8 speakers, base", ("--clients", "8", "--starts", "8", "--seed", "2", "--offline-model", "base",
                                            "--target-p90", "2", "--target-max", "4"),
             server=("--faster_whisper_custom_model_path", "base"), model="base"),
    Workload("openvino", "{speakers}, OpenVINO, 90 s", ("--ramp", "1,2,4,8") + RAMP, kind="openvino"),
    Workload("whisperlive", "{speakers}, WhisperLive, 90 s", ("--ramp", "1,2,4,8") + RAMP, kind="whisperlive"),
    Workload("whisperlive-batch", "{speakers}, WhisperLive batch inference, 90 s", ("--ramp", "1,2,4,8") + RAMP,
             server=("--batch",), kind="whisperlive"),
    # the load of speakers-16 through HAProxy, to 2 servers sharing the cores (docs/scaling.md)
    # the 8 speakers while a 10-minute file of three other sets is transcribed through the OpenAI API
    Workload("upload-8", "8 speakers, a 10-minute file through the API",
             ("--clients", "8", "--starts", "8", "--seed", "2", "--upload", UPLOAD_FILE, "--upload-reference",
              UPLOAD_REFERENCE) + API + TARGET, server=REST),
    Workload("haproxy-2", "{speakers}, 2 servers behind HAProxy, 90 s", ("--ramp", "8,12,16") + RAMP,
             server=("--inference_workers", "1", "--omp_num_threads", "1"), nodes=2),
)

PHONE_SERVER = ("--telephony_callback_allow", "127.0.0.1")  # the bench's webhook is on loopback
# one speaker on each set of --mixed, three runs in a row on one server, each run the sets at a later start
# (0.137 s of silence more): one run's WER moves by about 5% with where its windows fall, more than the 3%
# the 24 kbit/s target allows, and the target takes the three runs' mean
OPUS_SETS = ("--ramp", "4,4,4", "--ramp-all", "--starts", "3", "--rotate-audio", "--mixed", "--duration", "150")
ROOM = ("--duration", "90", "--no-offline") + API
LADDER = ("--mixed", "--duration", "90")


def _file(name: str, title: str, server_type: str, offline_type: str, audio: str = UPLOAD_FILE,
          repeat: str = "2") -> Workload:
    """A file alone through the API (the server at ``server_type``) against faster-whisper's own transcribe
    (at ``offline_type``)."""
    reference = ("--reference", UPLOAD_REFERENCE) if audio == UPLOAD_FILE else ()
    return Workload(name, title, ("--audio", audio, *reference, *API, "--ws-port", "PORT", "--repeat", repeat,
                                  "--compute-type", offline_type),
                    server=REST + (("--compute_type", server_type) if server_type else ()), module=API_FILE)


# The targets of BENCHMARKS.md's issue areas, each figure beside the one it compares with
AREAS = (
    # phone calls through /twilio against WhisperLive-protocol clients streaming the same audio
    Workload("phone-1", "1 call, mu-law 8 kHz", ("--calls", "1", "--tracks", "inbound"), server=PHONE_SERVER,
             module=TELEPHONY),
    Workload("phone-1-pcm", "1 client, float32 16 kHz", ("--clients", "1"), server=PHONE_SERVER),
    Workload("phone-8", "8 calls, both tracks", ("--calls", "8", "--tracks", "both"), server=PHONE_SERVER,
             module=TELEPHONY),
    Workload("phone-8-pcm", "8 clients, float32 16 kHz", ("--clients", "8"), server=PHONE_SERVER),
    # room readers (docs/rooms.md) against the same speaker alone
    Workload("room-0", "1 speaker, no readers, 90 s", ("--clients", "1") + ROOM, server=REST),
    Workload("room-1000", "1 speaker, 1000 readers, 90 s", ("--clients", "1", "--readers", "1000") + ROOM,
             server=REST),
    Workload("room-stalled", "1 speaker, 90 readers and 10 that never read, 90 s",
             ("--clients", "1", "--readers", "90", "--stalled-readers", "10") + ROOM, server=REST),
    Workload("meeting-4", "4 publishers in one room, 10 readers, 90 s",
             ("--clients", "4", "--mixed", "--readers", "10", "--room", "meeting") + ROOM, server=REST),
    # Opus against float32 PCM: bytes, WER on the four sets; the server's CPU with 16 clients sending noise
    Workload("opus-pcm", "4 speakers, mixed sets, float32", OPUS_SETS),
    Workload("opus-24", "4 speakers, mixed sets, Opus 24 kbit/s", OPUS_SETS + ("--codec", "opus", "--bitrate", "24")),
    Workload("opus-12", "4 speakers, mixed sets, Opus 12 kbit/s", OPUS_SETS + ("--codec", "opus", "--bitrate", "12")),
    Workload("opus-16-pcm", "16 silent, float32, 60 s",
             ("--clients", "0", "--silent", "16", "--duration", "60", "--no-offline")),
    Workload("opus-16", "16 silent, Opus 24 kbit/s, 60 s",
             ("--clients", "0", "--silent", "16", "--duration", "60", "--no-offline", "--codec", "opus")),
    # a 2-minute talk over a link throttled to 48 kbit/s (network namespaces; needs root), then PCM on it
    Workload("opus-link", "a 2-minute talk over a 48 kbit/s link: adaptive Opus, then PCM",
             ("--seconds", "120", "--pcm-seconds", "120"), server=None, module=THROTTLED_LINK),
    # speaker labels on conversations of real speakers: online by the labeller alone (no server), then live
    # over WhisperLive's protocol, a file through REST, and 8 clients streaming with labels against without
    Workload("diar-3", "3 speakers taking turns, 3 conversations, the labeller alone", ("--conversation", "3"),
             server=None, module=DIARIZATION),
    Workload("diar-live-3", "3 speakers taking turns, live, 3 conversations one at a time",
             ("--conversation", "3", "--live", LIVE), module=DIARIZATION),
    Workload("diar-rest-4", "4 speakers (two women alike), a file through REST, 3 conversations",
             ("--conversation", "4", "--rest", "http://127.0.0.1:REST_PORT/v1"), server=REST, module=DIARIZATION),
    Workload("diar-8-off", "8 clients streaming conversations, no labels", DIAR_8 + ("--diarization", "off"),
             module=DIARIZATION),
    Workload("diar-8-on", "8 clients streaming conversations, with labels", DIAR_8 + ("--diarization", "on"),
             module=DIARIZATION),
    # the quality ladder: the capacity at full quality (admission on), then 3 times as many speakers
    Workload("capacity", "{speakers}, mixed sets, 90 s", ("--ramp", "2,4,5,6,8,10,12,16,20,24", "--target-max", "4")
             + LADDER, admission=True),
    Workload("capacity-3x", "{speakers} (3 x capacity), admission off, 90 s",
             LADDER + ("--target-p90", "2.5", "--target-max", "5", "--offline-greedy"), times_capacity=("capacity", 3)),
    # compute types: a file through the API against faster-whisper's own transcribe of it
    _file("file-int8", "the joined file, int8", "int8", "int8"),
    _file("file-float32", "the joined file, float32", "float32", "float32"),
    _file("file-auto", "the joined file, --compute_type auto against faster-whisper's default", "auto", "default"),
    _file("api-file", "a file alone through the API", "", "int8", audio=LJ_PASSAGE, repeat="3"),
)
WORKLOADS = LOAD + AREAS
BY_NAME = {w.name: w for w in WORKLOADS}
GROUPS = {
    "load": tuple(w.name for w in LOAD),
    "phones": ("phone-1", "phone-1-pcm", "phone-8", "phone-8-pcm"),
    "rooms": ("room-0", "room-1000", "room-stalled", "meeting-4"),
    "opus": ("opus-pcm", "opus-24", "opus-12", "opus-16-pcm", "opus-16", "opus-link"),
    "diarization": ("diar-3", "diar-live-3", "diar-rest-4", "diar-8-off", "diar-8-on"),
    "ladder": ("capacity", "capacity-3x", "file-int8", "file-float32", "file-auto"),
    "peer": ("whisperlive", "whisperlive-batch"),
}


def chosen(names: list) -> list:
    """The workloads named, each group by its workloads, in order and once each (none: all)."""
    if not names:
        return list(WORKLOADS)
    out = []
    for name in names:
        for w in GROUPS.get(name, (name,)):
            if BY_NAME[w] not in out:
                out.append(BY_NAME[w])
    return out


def main(argv: Optional[list] = None) -> int:
    p = argparse.ArgumentParser(prog="python -m whisper_live.bench.workloads",
                                description="Run BENCHMARKS.md's workloads; each writes OUT/<workload>.json.")
    p.add_argument("names", nargs="*", help=f"workloads or groups to run (default: all); groups: "
                                            f"{', '.join(GROUPS)}; workloads: {', '.join(BY_NAME)}")
    p.add_argument("--out", help="folder for the JSON files (default: benchmarks/results on an AVX-512 "
                                 "machine, else benchmarks/results/FAMILY)")
    p.add_argument("--family", help="the machine's family for the default --out (default: from the CPU: "
                                    "avx512, avx2, other)")
    p.add_argument("--smoke", action="store_true",
                   help="a few seconds, at most 2 clients of each kind: checks that each workload runs")
    p.add_argument("--list", action="store_true", help="print each workload's commands and exit")
    args = p.parse_args(argv)
    unknown = [n for n in args.names if n not in BY_NAME and n not in GROUPS]
    if unknown:
        p.error(f"unknown workload {', '.join(unknown)}; choose from {', '.join([*GROUPS, *BY_NAME])}")
    workloads = chosen(args.names)
    if args.smoke:
        workloads = [w.smoke() for w in workloads]
    if args.list:
        for w in workloads:
            print(listing(w))
        return 0
    out = Path(args.out) if args.out else results_folder(args.family or machine()["family"])
    print(f"results into {out}", file=sys.stderr)
    failed = []
    for w in workloads:
        record = run(w, out)
        if record["result"] is None:
            failed.append(w.name)
    if failed:
        print(f"no result from: {', '.join(failed)}", file=sys.stderr)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
