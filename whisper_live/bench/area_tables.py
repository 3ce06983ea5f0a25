"""BENCHMARKS.md's tables of the benches with a JSON line of their own: phone calls, speaker labels, files.

Phone calls (bench/telephony.py) sit beside WhisperLive-protocol clients streaming the same audio (the
load bench's runs of the same workload group); speaker labels (bench/diarization.py) give the speech time
attributed to the right speaker, and live, the final latency and WER (with labels and without); a file through the API (bench/api_file.py) sits beside faster-whisper's
own transcribe of it at the compute type its workload names; a talk over a throttled link
(bench/throttled_link.py), adaptive Opus beside PCM. One machine's records at a time.
"""

from __future__ import annotations

from whisper_live.bench.table_rows import _latency

NOT_MEASURED = "*Not yet measured on the current code.*"
PHONES = ("phone-1", "phone-1-pcm", "phone-8", "phone-8-pcm")
DIARIZATION = ("diar-3", "diar-live-3", "diar-rest-4", "diar-8-off", "diar-8-on")
FILES = ("file-int8", "file-float32", "file-auto")
LINK = ("opus-link",)
PHONES_HEADER = ("| run | finished | final p50 / p90 / max | WER | server CPU |\n"
                 "| --- | --- | --- | --- | --- |")
DIARIZATION_HEADER = ("| run | speech time to the right speaker | label count right | final p50 / p90 / max | WER | "
                      "embedding CPU per audio s |\n| --- | --- | --- | --- | --- | --- |")
FILES_HEADER = ("| run | audio | through the API | faster-whisper | WER: API / faster-whisper |\n"
                "| --- | --- | --- | --- | --- |")

LINK_HEADER = ("| run | codec | final p50 / p90 / max | WER | kbit/s sent | audio waiting for the link | "
               "transcribed until | connection drops |\n| --- | --- | --- | --- | --- | --- | --- | --- |")


def phone_row(record: dict) -> str:
    r = record["result"]
    if "calls" in r:  # bench.telephony
        delivered = sum(c.get("all_delivered", False) for c in r.get("per_call", []))
        finished = f"{delivered}/{r['calls']} calls, every final delivered" + (", in order" if r["in_order"] else
                                                                                ", NOT in order")
        figures = r
    else:  # the load bench: one run
        figures = r["runs"][0]
        finished = f"{figures['finished']}/{figures['clients']} clients"
    cpu = (figures.get("server") or {}).get("cpu_percent")
    return (f"| {record['title']} | {finished} | {_latency(figures['final_latency_s'])} | "
            f"{'-' if figures.get('wer') is None else format(figures['wer'], '.4f')} | "
            f"{'-' if cpu is None else format(cpu, '.0f') + '%'} |")


def diarization_row(record: dict) -> str:
    r = record["result"]
    runs = r.get("runs") or []
    cpu = [x["cpu_per_audio_s"] for x in runs if x.get("cpu_per_audio_s") is not None]
    labels = (f"{r['accuracy']:.1%} | {r['exact_labels']}/{len(runs)}" if "accuracy" in r else
              "- (no labels) | -")
    return (f"| {record['title']} | {labels} | {_latency(r.get('final_latency_s') or {})} | "
            f"{'-' if r.get('wer') is None else format(r['wer'], '.4f')} | "
            f"{f'{sum(cpu) / len(cpu) * 1000:.1f} ms' if cpu else '-'} |")


def _side(side: dict) -> str:
    return f"{side['seconds']:.1f} s (best of {len(side.get('all_seconds', [1]))}, RTF {side['rtf']:.3f})"


def file_row(record: dict) -> str:
    r = record["result"]
    wers = " / ".join("-" if side.get("wer") is None else f"{side['wer']:.4f}"
                      for side in (r["api"], r["faster_whisper"]))
    return (f"| {record['title']} | {r['audio_s']:.0f} s | {_side(r['api'])} | {_side(r['faster_whisper'])} "
            f"({r['speed_vs_faster_whisper']:.0%} of its speed) | {wers} |")


def link_row(record: dict) -> str:
    r = record["result"]
    opus, pcm, config = r["opus"], r.get("pcm"), r["config"]
    rows = [f"| {record['title']} ({config['rate']}) | Opus, adaptive, {config['opus_s']:.0f} s | "
            f"{_latency(opus['final_latency_s'])} | {'-' if opus.get('wer') is None else format(opus['wer'], '.4f')} | "
            f"{', '.join(map(str, opus['bitrates_kbps']))} | p90 {opus['link_backlog_s']['p90']:.2f} s, "
            f"max {opus['link_backlog_s']['max']:.2f} s | the end | {opus['drops']} |"]
    if pcm:
        waiting = ", ".join(f"{b:.0f}" for b in pcm["link_backlog_s_every_30s"])
        if pcm.get("first_drop_s") is not None:
            waiting += f" s, then dropped at {pcm['first_drop_s']:.0f}"
        rows.append(f"| | PCM int16, {config['pcm_s']:.0f} s | {_latency(pcm['final_latency_s'])} | - | 256 | "
                    f"every 30 s: {waiting} s | {pcm['transcribed_until_s']:.0f} s | {pcm['drops']} |")
    return "\n".join(rows)


TABLES = {"phones": (PHONES, PHONES_HEADER, phone_row),
          "diarization": (DIARIZATION, DIARIZATION_HEADER, diarization_row),
          "files": (FILES, FILES_HEADER, file_row),
          "link": (LINK, LINK_HEADER, link_row)}


def render(name: str, records: dict) -> str:
    """The block ``name`` from one machine's records; the workloads it lacks are named under it."""
    names, header, row = TABLES[name]
    present = [records[w] for w in names if w in records]
    if not present:
        return NOT_MEASURED + "\n"
    text = header + "\n" + "\n".join(row(record) for record in present) + "\n"
    missing = [w for w in names if w not in records]
    if missing:
        text += f"\nNot yet measured on the current code: {', '.join(missing)}.\n"
    return text
