"""One run of the load benchmark at one client count (a step of ``--ramp``): its clients, room readers and
uploads, and the figures of the run."""

from __future__ import annotations

from whisper_live.bench import audio as audio_mod
from whisper_live.bench import clients, drops, metrics, plan, room_run
from whisper_live.bench import uploads as bench_uploads
from whisper_live.bench.report import say, write_text


def run_step(args, speeches: list[audio_mod.Speech], speakers: int, watch) -> dict:
    """Stream the planned audio with ``speakers`` speaking clients (and the silent ones, readers and uploads
    the options ask for) and return the run's figures; ``watch`` measures the server (None: not measured)."""
    settings = plan.RunSettings(host=args.host, port=args.port, model=args.model,
                                language=args.language or None, use_vad=args.use_vad,
                                frame_samples=args.frame_samples, ready_timeout=args.ready_timeout,
                                finish_timeout=args.finish_timeout, drop_every=args.drop_every, codec=args.codec,
                                bitrate=args.bitrate if args.bitrate == "auto" else int(args.bitrate),
                                diarize=args.diarize)
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
    figures.update(room_run.figures(args, settings, result.logs, room_readers, lambda text: say(args, text)))
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
