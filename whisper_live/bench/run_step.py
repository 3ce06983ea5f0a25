"""One run of the load benchmark at one client count (a step of ``--ramp``): its clients, room readers and
uploads, and the figures of the run."""

from __future__ import annotations

import os

from whisper_live.bench import audio as audio_mod
from whisper_live.bench import clients, drops, metrics, plan, readers, room_figures
from whisper_live.bench import uploads as bench_uploads
from whisper_live.bench.report import say, write_text


def run_step(args, speeches: list[audio_mod.Speech], speakers: int, watch) -> dict:
    """Stream the planned audio with ``speakers`` speaking clients (and the silent ones, readers and uploads
    the options ask for) and return the run's figures; ``watch`` measures the server (None: not measured)."""
    settings = plan.RunSettings(host=args.host, port=args.port, model=args.model,
                                language=args.language or None, use_vad=args.use_vad,
                                frame_samples=args.frame_samples, ready_timeout=args.ready_timeout,
                                finish_timeout=args.finish_timeout, drop_every=args.drop_every, codec=args.codec,
                                bitrate=args.bitrate if args.bitrate == "auto" else int(args.bitrate))
    room_readers, gate = None, None
    if args.readers or args.stalled_readers:
        settings.room, settings.gate_timeout = f"bench-{os.getpid()}-{speakers}", args.readers_timeout + 30
        api = (args.api_url or f"http://{args.host}:8000/v1").rstrip("/")
        room_readers = readers.ReaderRun(f"{api}/rooms/{settings.room}/events",
                                         f"ws{api[4:]}/rooms/{settings.room}/watch", args.readers,
                                         args.stalled_readers, args.readers_timeout)
        gate = room_readers.connect_in_background()
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
    say(args, f"run: {speakers} speaking + {args.silent} silent clients, {lengths} s of audio "
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
    if room_readers is not None:
        figures["room"] = room_figures.reader_figures(result.logs, room_readers.finish(), args.per_client)
        say(args, room_figures.summary_line(figures["room"]))
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
                write_text(args.transcripts, f"N{speakers}-{log.name}.txt", metrics.transcript(log))
                write_text(args.transcripts, f"N{speakers}-{log.name}.segments.tsv", metrics.segment_table(log))
    fin = figures["final_latency_s"]
    say(args, f"  done in {result.wall_s:.1f} s: finished {figures['finished']}/{len(plans)}, final p90 "
               f"{fin['p90']} s, max {fin['max']} s, WER {figures['wer']}")
    for upload in figures.get("uploads") or []:
        say(args, f"  upload {upload['file']}: {upload['status']} in {upload['seconds']} s "
                   f"(RTF {upload['rtf']}{', WER ' + str(upload['wer']) if 'wer' in upload else ''})")
    return figures
