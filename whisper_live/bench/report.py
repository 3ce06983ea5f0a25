"""The benchmark's output: one JSON line for machines, a table for people, progress lines and text files."""

from __future__ import annotations

import datetime
import json
import os
import platform
import sys
from typing import Optional


def say(args, text: str) -> None:
    """A progress line on stderr, unless ``args.quiet``."""
    if not args.quiet:
        print(text, file=sys.stderr, flush=True)


def write_text(folder: str, name: str, text: str) -> None:
    """``text`` and a newline into ``folder/name`` (the folder made when missing)."""
    os.makedirs(folder, exist_ok=True)
    with open(os.path.join(folder, name), "w", encoding="utf-8") as f:
        f.write(text + "\n")


def utc_now() -> str:
    """The date of a run, as every bench JSON line gives it."""
    return datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds")


def machine() -> dict:
    """What the figures were measured on, as every bench JSON line gives it."""
    return {"cpus": os.cpu_count(), "platform": platform.platform(), "python": platform.python_version()}


def _f(value, digits: int = 2, suffix: str = "") -> str:
    if value is None:
        return "-"
    if isinstance(value, float):
        return f"{value:.{digits}f}{suffix}"
    return f"{value}{suffix}"


def relative_to_offline(streaming: Optional[float], offline: Optional[float]) -> Optional[float]:
    """Streaming WER relative to offline WER: 0.05 means 5% worse; None when either is missing."""
    if streaming is None or offline is None:
        return None
    if offline == 0:
        return 0.0 if streaming == 0 else None
    return round(streaming / offline - 1.0, 4)


def to_json(doc: dict) -> str:
    return json.dumps(doc, separators=(",", ":"), sort_keys=False)


def append_line(path: Optional[str], line: str) -> None:
    """``--json-out``: the bench's JSON line appended to ``path`` too (nothing without one)."""
    if path:
        with open(path, "a", encoding="utf-8") as f:
            f.write(line + "\n")


def table(doc: dict, per_client: bool = True) -> str:
    """A plain-text rendering of the same document."""
    cfg = doc["config"]
    lines = [
        f"whisper_live.bench  {cfg['server']}  {doc['date']}",
        f"audio: {cfg['audio']} ({cfg['audio_s']:.1f} s{', ' + cfg['audio_note'] if cfg.get('audio_note') else ''}); "
        f"reference: {cfg['reference_words'] if cfg['reference_words'] is not None else 'none'} words; "
        f"model asked: {cfg['model'] or '(server default)'}; VAD {'on' if cfg['use_vad'] else 'off'}; "
        f"frames {cfg['frame_samples']} samples",
    ]
    if "speed" in doc.get("machine", {}):
        from whisper_live.bench.machine_speed import describe

        lines.append(describe(doc["machine"]["speed"]))
    offline = doc.get("offline") or {}
    if offline.get("wer") is not None:
        each = " (each audio once; the runs weigh it as their speakers were spread)" \
            if len(offline.get("per_audio", [])) > 1 else ""
        lines.append(f"offline WER (faster-whisper {offline['compute_type']}, {offline['model']}): "
                     f"{offline['wer']:.4f}{each}, transcribed in {offline['seconds']:.1f} s")
    elif offline.get("skipped"):
        lines.append(f"offline WER: not computed ({offline['skipped']})")
    head = (f"{'clients':>7} {'silent':>6} {'done':>5} {'wait':>4} {'err':>3} | "
            f"{'final p50':>9} {'p90':>6} {'max':>6} | {'partial p50':>11} {'p90':>6} {'max':>6} | "
            f"{'WER':>6} {'offline':>7} | {'srv CPU':>7} {'RSS MB':>7} {'MB/cl':>6} | target")
    lines += ["", head, "-" * len(head)]
    for run in doc["runs"]:
        fin, par, srv = run["final_latency_s"], run["partial_latency_s"], run.get("server") or {}
        total = run["clients"] + run["silent"]
        lines.append(
            f"{run['clients']:>7} {run['silent']:>6} {run['finished']:>2}/{total:<2} {run['replies']['wait']:>4} "
            f"{run['replies']['error']:>3} | {_f(fin['p50']):>9} {_f(fin['p90']):>6} {_f(fin['max']):>6} | "
            f"{_f(par['p50']):>11} {_f(par['p90']):>6} {_f(par['max']):>6} | {_f(run['wer'], 3):>6} "
            f"{_f(run.get('wer_offline'), 3):>7} | {_f(srv.get('cpu_percent'), 0, '%'):>7} "
            f"{_f(srv.get('rss_peak_mb'), 0):>7} {_f(srv.get('rss_per_client_mb'), 1):>6} | "
            f"{'met' if run['meets_target'] else 'MISSED'}"
        )
    if "max_clients_meeting_target" in doc:
        lines.append("")
        lines.append(f"largest N meeting the target (final p90 <= {cfg['target_p90']:g} s"
                     f"{', max <= %g s' % cfg['target_max'] if cfg.get('target_max') else ''}, all finished, "
                     f"no WAIT/ERROR): {doc['max_clients_meeting_target']}")
    for run in doc["runs"]:
        srv = run.get("server")
        if srv:
            lines.append("")
            lines.append(
                f"N={run['clients']}+{run['silent']} server pid {srv['pid']}: CPU {_f(srv['cpu_percent'], 1)}% of "
                f"one core over {run['wall_s']:.1f} s ({_f(srv['cpu_seconds'], 1)} CPU s), idle before "
                f"{_f(srv['idle_cpu_percent'], 1)}%, {_f(srv.get('cpu_percent_per_client'), 2)}% per connection; RSS before {_f(srv['rss_before_mb'], 1)} MB, all connected "
                f"{_f(srv['rss_connected_mb'], 1)} MB, peak {_f(srv['rss_peak_mb'], 1)} MB; bench itself "
                f"{_f(run.get('bench_cpu_percent'), 1)}% CPU"
            )
        if run.get("bytes_per_audio_s"):
            lines.append(f"N={run['clients']}+{run['silent']} audio on the wire ({cfg.get('codec') or 'float32'}"
                         f"{', %s kbit/s' % cfg['bitrate_kbps'] if cfg.get('bitrate_kbps') else ''}): "
                         f"{run['bytes_per_audio_s']:.0f} bytes per second of audio "
                         f"(float32 PCM: 64000)")
        if run.get("by_loop"):
            lines.append(f"N={run['clients']}+{run['silent']} by loop (final p50 / p90 / max, segments; partial "
                         f"p50 / p90; server RSS as the loop ends):")
            for row in run["by_loop"]:
                fin, par = row["final_latency_s"], row["partial_latency_s"]
                lines.append(f"  loop {row['loop']}: {_f(fin['p50'])} / {_f(fin['p90'])} / {_f(fin['max'])} s, "
                             f"{fin['n']}; {_f(par['p50'])} / {_f(par['p90'])} s; {_f(row['rss_mb'], 1)} MB")
        if run.get("drops"):
            d = run["drops"]
            lines.append(f"N={run['clients']}+{run['silent']} dropping every {d['drop_every_s']:g} s: "
                         f"{d['drops']} drops, {d['resumes']} resumed; of {d['reference_words']} reference "
                         f"words {d['words_lost']} lost, {d['words_duplicated']} duplicated")
        if run.get("wer_by_audio"):
            lines.append(f"N={run['clients']}+{run['silent']} WER by audio (streaming / offline, clients):")
            for row in run["wer_by_audio"]:
                lines.append(f"  {row['audio']}: {_f(row['wer'], 3)} / {_f(row.get('wer_offline'), 3)}, "
                             f"{row['clients']}")
        if run["not_finished"]:
            lines.append(f"not finished: {', '.join(run['not_finished'])}")
        if run["silent"]:
            lines.append(f"words produced for silent clients: {run['silent_words']}")
            said = run.get("silent_final_latency_s") or {}
            if said.get("n"):
                lines.append(f"their final latency (phrases said now and then): p50 {_f(said['p50'], 2)} / p90 "
                             f"{_f(said['p90'], 2)} / max {_f(said['max'], 2)} s over {said['n']} segments")
        if per_client:
            several = len({c.get("audio") for c in run["per_client"] if c["speaking"]}) > 1
            lines.append("")
            lines.append(f"{'client':>6} {'adm':>6} {'fin':>3} | {'final p50':>9} {'p90':>6} {'max':>6} {'n':>4} | "
                         f"{'partial p50':>11} {'p90':>6} {'n':>4} | {'WER':>6} {'words':>5} {'drain s':>7} | note")
            for c in run["per_client"]:
                fin, par = c["final_latency_s"], c["partial_latency_s"]
                lines.append(
                    f"{c['name']:>6} {c['admission']:>6} {'yes' if c['finished'] else 'NO':>3} | "
                    f"{_f(fin['p50']):>9} {_f(fin['p90']):>6} {_f(fin['max']):>6} {fin['n']:>4} | "
                    f"{_f(par['p50']):>11} {_f(par['p90']):>6} {par['n']:>4} | {_f(c['wer'], 3):>6} "
                    f"{c['words']:>5} {_f(c['finish_s'], 1):>7} | "
                    f"{c['failure'] or '; '.join(c['messages']) or (c.get('audio', '') if several else '')}"
                )
    return "\n".join(lines)
