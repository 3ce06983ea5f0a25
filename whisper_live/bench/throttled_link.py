"""A talk streamed over a link throttled to 48 kbit/s: adaptive Opus against PCM on the same link.

The bench builds its own network: two network namespaces (client and server) joined by a veth pair with
private addresses that exist only inside them, and a rate limit on the client's side (tc netem, or tbf
where the kernel has no netem): the client's uplink. The real server runs in one namespace, the live client
(bench/link_client.py) in the other. Everything is removed at the end, and namespaces left by a run that
was killed are removed at the start. It needs root (``ip netns``); without it, it says why and exits 2.

Opus streams the talk with the adaptive bitrate (whisper_live/client/link.py), then PCM (int16, 256 kbit/s
of audio on the 48 kbit/s link) streams it again. Figures: Opus's final latency (from when the audio was
captured) and WER, the bitrates it settled at, and how much captured audio waited for the link; for PCM,
how far its transcript got and how much audio waited for the link, every 30 s until the server dropped the
connection.

``python -m whisper_live.bench.throttled_link [--seconds 120] [--pcm-seconds 120] [--rate 48kbit]``
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Iterator, Optional

from whisper_live.bench import audio as audio_mod
from whisper_live.bench import machine_speed
from whisper_live.bench.metrics import percentile, summary

ROOT = Path(__file__).resolve().parents[2]
RATE = "48kbit"
CLIENT_ADDRESS, SERVER_ADDRESS = "10.231.77.1", "10.231.77.2"  # a /30 that exists only in the namespaces
NAMESPACE_PREFIX = "wl-thr-"
CHUNK_S = 0.1  # the live client sends a chunk every 100 ms (its backlogs: one per chunk)


class LinkUnavailable(RuntimeError):
    """This machine cannot build the throttled link (no iproute2, no root, no veth or rate limit)."""


def _ip(*args: str, check: bool = True) -> subprocess.CompletedProcess:
    return subprocess.run(["ip", *args], capture_output=True, text=True, check=check, timeout=20)


def _remove_stale_namespaces() -> None:
    """The namespaces of an earlier run that was killed before its clean-up (named after its process id)."""
    for name in _ip("netns", "list", check=False).stdout.split():
        match = re.fullmatch(f"{NAMESPACE_PREFIX}[cs]([0-9]+)", name)
        if match and not os.path.exists(f"/proc/{match.group(1)}"):
            _ip("netns", "del", name, check=False)


@contextlib.contextmanager
def throttled_link(rate: str = RATE) -> Iterator[tuple[str, str]]:
    """(client namespace, server namespace), the client's uplink limited to ``rate``; deleted afterwards.
    Raises LinkUnavailable where the machine cannot build it."""
    if shutil.which("ip") is None or shutil.which("tc") is None:
        raise LinkUnavailable("iproute2 (ip, tc) is not installed")
    _remove_stale_namespaces()
    client_ns, server_ns = f"{NAMESPACE_PREFIX}c{os.getpid()}", f"{NAMESPACE_PREFIX}s{os.getpid()}"
    if _ip("netns", "add", client_ns, check=False).returncode != 0:
        raise LinkUnavailable("creating a network namespace is not permitted here (needs root)")
    try:
        _ip("netns", "add", server_ns)
        veth = _ip("link", "add", "wlthr0", "netns", client_ns, "type", "veth", "peer", "name", "wlthr1",
                   "netns", server_ns, check=False)
        if veth.returncode != 0:
            raise LinkUnavailable(f"no veth pair between network namespaces here: {veth.stderr.strip()}")
        for ns, device, address in ((client_ns, "wlthr0", CLIENT_ADDRESS), (server_ns, "wlthr1", SERVER_ADDRESS)):
            _ip("-n", ns, "addr", "add", f"{address}/30", "dev", device)
            _ip("-n", ns, "link", "set", device, "up")
            _ip("-n", ns, "link", "set", "lo", "up")
        tc = ["ip", "netns", "exec", client_ns, "tc", "qdisc", "add", "dev", "wlthr0", "root"]
        netem = subprocess.run(tc + ["netem", "rate", rate, "delay", "20ms"], capture_output=True)
        if netem.returncode != 0:  # no sch_netem in this kernel: a token bucket limits the rate as well
            tbf = subprocess.run(tc + ["tbf", "rate", rate, "burst", "3000", "latency", "2s"],
                                 capture_output=True, text=True)
            if tbf.returncode != 0:
                raise LinkUnavailable(f"tc can limit no rate here (neither netem nor tbf): {tbf.stderr.strip()}")
        yield client_ns, server_ns
    finally:
        _ip("netns", "del", client_ns, check=False)  # deletes the veth pair with it
        _ip("netns", "del", server_ns, check=False)


@contextlib.contextmanager
def server_in(namespace: str, port: int, log_path: Path, flags: tuple = ()) -> Iterator[str]:
    """The real server inside ``namespace``; yields its URL (as the client's namespace reaches it)."""
    with open(log_path, "w") as log:
        server = subprocess.Popen(["ip", "netns", "exec", namespace, sys.executable, str(ROOT / "run_server.py"),
                                   "--host", SERVER_ADDRESS, "--port", str(port), "--max_clients", "4", *flags],
                                  stdout=log, stderr=subprocess.STDOUT, cwd=str(ROOT),
                                  env=dict(os.environ, PYTHONPATH=str(ROOT)))
        try:
            yield f"ws://{SERVER_ADDRESS}:{port}"
        finally:
            server.terminate()
            try:
                server.wait(20)
            except subprocess.TimeoutExpired:
                server.kill()
                server.wait()


def stream(client_ns: str, url: str, path: Path, seconds: float, codec: str, bitrate: str) -> dict:
    """One live client (bench/link_client.py) streaming ``seconds`` of ``path`` from the client's namespace."""
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    result = subprocess.run(["ip", "netns", "exec", client_ns, sys.executable, "-m", "whisper_live.bench.link_client",
                             url, str(path), str(seconds), codec, bitrate],
                            capture_output=True, text=True, env=env, cwd=str(ROOT), timeout=seconds + 300)
    if result.returncode != 0:
        raise RuntimeError(f"the {codec} client failed:\n{result.stderr[-3000:]}")
    return json.loads(result.stdout.strip().splitlines()[-1])


def opus_figures(opus: dict, reference: Optional[str]) -> dict:
    from whisper_live.wer import wer

    backlogs = opus["backlogs"]
    return {"final_latency_s": summary(opus["latencies"]), "segments": len(opus["latencies"]),
            "wer": None if not reference else round(wer(reference, opus["text"]), 4),
            "bitrates_kbps": sorted(set(opus["bitrates"])),
            "bitrate_p50_kbps": percentile(opus["bitrates"], 50),
            "link_backlog_s": {"p90": round(percentile(backlogs, 90), 3), "max": round(max(backlogs), 3)},
            "drops": opus["drops"], "send_behind_s": round(opus["send_behind_s"], 2)}


def pcm_figures(pcm: dict, every: float = 30.0) -> dict:
    """How far PCM fell behind: the audio waiting for the link every ``every`` seconds of the talk until the
    server first dropped the connection (its keep-alive pongs stuck behind the audio; the client's count of
    what waits restarts with the new connection), and how far its transcript got by the end of the talk."""
    backlogs = pcm["backlogs"]
    first_drop = min(pcm.get("drop_times") or [], default=None)
    step = int(round(every / CHUNK_S))
    marks = [i for i in range(step, len(backlogs) + 1, step) if first_drop is None or i * CHUNK_S <= first_drop]
    return {"link_backlog_s_every_30s": [round(backlogs[i - 1], 1) for i in marks],
            "first_drop_s": None if first_drop is None else round(first_drop, 1),
            "transcribed_until_s": round(pcm["transcribed_until"], 1), "segments": len(pcm["latencies"]),
            "final_latency_s": summary(pcm["latencies"]), "drops": pcm["drops"],
            "send_behind_s": round(pcm["send_behind_s"], 1)}


def parse_args(argv=None) -> argparse.Namespace:
    p = argparse.ArgumentParser(prog="python -m whisper_live.bench.throttled_link",
                                description="A talk over a throttled link: adaptive Opus, then PCM (needs root).")
    p.add_argument("--audio", default=None,
                   help="the talk (default: the LJ Speech passage of ../shared/audio, else espeak-ng's text)")
    p.add_argument("--seconds", type=float, default=120.0, help="seconds of the talk Opus streams (default 120)")
    p.add_argument("--pcm-seconds", type=float, default=120.0,
                   help="seconds of the talk PCM streams after it (default 120; 0: no PCM run)")
    p.add_argument("--rate", default=RATE, help=f"the uplink's rate, as tc writes it (default {RATE})")
    p.add_argument("--port", type=int, default=9190, help="the server's port inside its namespace (default 9190)")
    p.add_argument("--json-out", default=None, help="also append the JSON line to this file")
    p.add_argument("--no-machine-speed", dest="machine_speed", action="store_false",
                   help="skip measuring the machine's model speed first (bench/machine_speed.py)")
    return p.parse_args(argv)


def main(argv=None) -> int:
    import soundfile

    from whisper_live.bench import report

    args = parse_args(argv)
    speech = audio_mod.load_speech(args.audio) if args.audio else audio_mod.default_speech()
    speech = audio_mod.cut(speech, max(args.seconds, args.pcm_seconds))
    speed = machine_speed.measure_or_why(args.machine_speed)
    with tempfile.TemporaryDirectory(prefix="wl-link-") as tmp:
        talk = Path(tmp) / "talk.wav"
        soundfile.write(talk, speech.audio, audio_mod.SAMPLE_RATE)
        opus_seconds = min(args.seconds, speech.duration)
        try:
            with throttled_link(args.rate) as (client_ns, server_ns), \
                    server_in(server_ns, args.port, Path(tmp) / "server.log") as url:
                opus = stream(client_ns, url, talk, opus_seconds, "opus", "auto")
                pcm = stream(client_ns, url, talk, args.pcm_seconds, "pcm", "0") if args.pcm_seconds else None
        except LinkUnavailable as exc:
            print(f"throttled_link: {exc}", file=sys.stderr)
            return 2
    reference = speech.reference if opus_seconds >= speech.duration else None
    doc = {"bench": "whisper_live.bench.throttled_link", "date": report.utc_now(),
           "machine": {**report.machine(), "speed": speed},
           "config": {"rate": args.rate, "audio": speech.source, "audio_s": round(speech.duration, 3),
                      "opus_s": opus_seconds, "pcm_s": args.pcm_seconds},
           "opus": opus_figures(opus, reference), "pcm": None if pcm is None else pcm_figures(pcm)}
    line = json.dumps(doc)
    report.append_line(args.json_out, line)
    o = doc["opus"]
    print(f"opus over {args.rate}: final p90 {o['final_latency_s']['p90']} s, max {o['final_latency_s']['max']} s, "
          f"WER {o['wer']}, bitrates {o['bitrates_kbps']}, link backlog p90 {o['link_backlog_s']['p90']} s; "
          + ("" if pcm is None else f"pcm: link backlog every 30 s {doc['pcm']['link_backlog_s_every_30s']}, "
             f"first dropped at {doc['pcm']['first_drop_s']} s, "
             f"transcribed until {doc['pcm']['transcribed_until_s']} s of {args.pcm_seconds:g}; ")
          + machine_speed.describe(speed), file=sys.stderr)
    print(line, flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
