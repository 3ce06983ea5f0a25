"""What the benchmark clients stream: a speech file with its reference text, or silence."""

from __future__ import annotations

import argparse
import csv
import os
import shutil
import subprocess
import sys
import tempfile
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Optional

import numpy as np

from whisper_live.protocol import SAMPLE_RATE

LOOP_GAP = 1.0  # seconds of silence between two loops of the audio (--loops)
# --starts: each further start is this much later; not a multiple of the VAD's 32 ms frame, so every start
# cuts the audio into different frames (and offline into different 30 s windows)
START_STEP = 0.137
LONG_CLIP = "en/long/ljspeech_LJ001-0001_to_0032_concat.flac"
# ``--mixed``: one continuous reader and three folders of other speakers' utterances, each joined into a
# stream (join_folder); every set with a trustworthy reference in ../shared/audio/en.
MIXED = (LONG_CLIP, "en/hifitts_6097", "en/librispeech", "en/cathy_arctic")

# Used only where ../shared is absent and espeak-ng is installed: plain sentences, written for this file.
ESPEAK_TEXT = (
    "The river was low that summer, and the boats stayed tied to the old wooden pier. "
    "Every morning the baker opened his shop at seven and sold bread to the fishermen. "
    "Children walked along the bank and counted the birds that rested on the water. "
    "In the evening the wind turned cold, and the town lit its lamps one by one. "
    "Nobody expected the storm that arrived late on the third night of the festival."
)


@dataclass
class Speech:
    audio: np.ndarray  # float32, 16 kHz mono
    reference: Optional[str]
    source: str  # file name or a description
    note: str = ""  # how the audio or the reference was derived, when it was
    # (start s, end s, text) of each utterance, when known (a joined folder, a clip with .segments.tsv):
    # lets --duration cut at an utterance's end and keep a matching reference.
    segments: Optional[list[tuple[float, float, str]]] = None

    @property
    def duration(self) -> float:
        return len(self.audio) / SAMPLE_RATE


def shared_audio_dir() -> Optional[Path]:
    """``../shared/audio`` beside the checkout (or beside the working directory), if there is one."""
    candidates = [Path(__file__).resolve().parents[2].parent / "shared" / "audio",
                  Path.cwd().parent / "shared" / "audio"]
    for path in candidates:
        if (path / "manifest.tsv").exists():
            return path
    return None


def load_audio(path: str) -> np.ndarray:
    """Any audio file as float32 16 kHz mono."""
    try:
        import soundfile

        data, rate = soundfile.read(path, dtype="float32", always_2d=True)
        if rate == SAMPLE_RATE:
            return np.ascontiguousarray(data.mean(axis=1), dtype=np.float32)
    except Exception:  # not a format libsndfile reads: let faster-whisper's decoder (PyAV) try
        pass
    from faster_whisper.audio import decode_audio

    return decode_audio(path, sampling_rate=SAMPLE_RATE).astype(np.float32)


def manifest_reference(path: Path) -> Optional[str]:
    """The reference text of a file of ../shared/audio, from its manifest.tsv."""
    shared = shared_audio_dir()
    if shared is None:
        return None
    try:
        relative = path.resolve().relative_to(shared.resolve()).as_posix()
    except ValueError:
        return None
    for row in manifest_rows(shared):
        if row.get("file") == relative:
            return (row.get("reference_transcript") or "").strip() or None
    return None


def manifest_rows(shared: Path) -> list[dict]:
    """The rows of ``shared/manifest.tsv`` (tab-separated, no quoting: references may hold quotes)."""
    with open(shared / "manifest.tsv", newline="", encoding="utf-8") as f:
        return list(csv.DictReader(f, delimiter="\t", quoting=csv.QUOTE_NONE))


def sidecar_path(path: Path) -> Path:
    """``NAME.segments.tsv`` beside ``NAME.flac``: where each utterance of a joined clip lies."""
    return path.with_name(path.name.rsplit(".", 1)[0] + ".segments.tsv")


def write_sidecar(path: Path, segments: list[tuple[float, float, str]]) -> Path:
    """Write the (start s, end s, text) of each utterance of the clip ``path`` beside it."""
    sidecar = sidecar_path(path)
    sidecar.write_text("start_s\tend_s\ttext\n" + "".join(f"{a:.3f}\t{b:.3f}\t{t}\n" for a, b, t in segments),
                       encoding="utf-8")
    return sidecar


def _sidecar_segments(path: Path) -> Optional[list[tuple[float, float, str]]]:
    """Per-utterance (start, end, text) from ``NAME.segments.tsv`` beside a joined clip, if there is one."""
    sidecar = sidecar_path(path)
    if not sidecar.exists():
        return None
    rows = []
    with open(sidecar, newline="", encoding="utf-8") as f:
        for row in csv.DictReader(f, delimiter="\t", quoting=csv.QUOTE_NONE):
            rows.append((float(row["start_s"]), float(row["end_s"]), row["text"]))
    return rows


def read_reference(value: str) -> str:
    """``--reference``: a file name, or the text itself."""
    if os.path.isfile(value):
        return Path(value).read_text(encoding="utf-8").strip()
    return value


def load_speech(path: str, reference: Optional[str] = None) -> Speech:
    """A speech file and its reference: given, from ../shared's manifest, or from ``NAME.txt`` beside it.

    ``path`` may also name a folder of ../shared/audio (``en/librispeech``, or a path to it): its clips
    with a reference are joined into one stream (:func:`join_folder`). A relative path that does not
    exist here is looked up in ../shared/audio.
    """
    file = Path(path)
    shared = shared_audio_dir()
    if not file.exists() and shared is not None and not file.is_absolute() and (shared / file).exists():
        file = shared / file
    if file.is_dir():
        if shared is None:
            raise ValueError(f"{path}: a folder is joined from ../shared/audio's manifest, which is absent")
        try:
            folder = file.resolve().relative_to(shared.resolve()).as_posix()
        except ValueError:
            raise ValueError(f"{path}: only folders of {shared} can be joined") from None
        speech = join_folder(shared, folder)
        if reference is not None:
            speech.reference = reference
        return speech
    audio = load_audio(str(file))
    if reference is None:
        reference = manifest_reference(file)
    if reference is None and file.with_suffix(".txt").exists():
        reference = file.with_suffix(".txt").read_text(encoding="utf-8").strip()
    return Speech(audio, reference, _display_name(file, shared), segments=_sidecar_segments(file))


def _display_name(file: Path, shared: Optional[Path]) -> str:
    """A file of ../shared/audio by its name there (as in its manifest); any other file as given."""
    if shared is not None:
        try:
            return file.resolve().relative_to(shared.resolve()).as_posix()
        except ValueError:
            pass
    return str(file)


def join_folder(shared: Path, folder: str, gap: float = 0.3) -> Speech:
    """The clips of ``folder`` that have a reference, in name order, joined with ``gap`` s of silence.

    The reference is the clips' references joined by spaces; ``segments`` says where each clip lies.
    """
    import soundfile

    prefix = folder.rstrip("/") + "/"
    rows = [r for r in manifest_rows(shared)
            if r["file"].startswith(prefix) and (r.get("reference_transcript") or "").strip()]
    if not rows:
        raise ValueError(f"no clip with a reference under {prefix} in {shared / 'manifest.tsv'}")
    rows.sort(key=lambda r: r["file"])
    pieces, segments = [], []
    position = 0
    silence_gap = np.zeros(int(gap * SAMPLE_RATE), dtype=np.float32)
    for row in rows:
        audio, rate = soundfile.read(shared / row["file"], dtype="float32")
        if rate != SAMPLE_RATE or audio.ndim != 1:
            raise ValueError(f"{row['file']}: expected 16 kHz mono, got {rate} Hz, shape {audio.shape}")
        segments.append((position / SAMPLE_RATE, (position + len(audio)) / SAMPLE_RATE,
                         row["reference_transcript"].strip()))
        pieces += [audio, silence_gap]
        position += len(audio) + len(silence_gap)
    return Speech(np.concatenate(pieces), " ".join(s[2] for s in segments), prefix.rstrip("/"),
                  f"{len(rows)} clips joined with {gap:g} s pauses", segments)


def cut(speech: Speech, duration: Optional[float]) -> Speech:
    """The first ``duration`` seconds, with a reference that still matches the audio.

    Audio whose utterances are known (``segments``) is cut at the end of the last utterance that fits
    (plus the pause after it), and its reference is those utterances' text. Any other clip cut short loses its
    reference (its WER would be meaningless), unless nothing was cut.
    """
    if duration is None or duration <= 0 or duration >= speech.duration:
        return speech
    segments = speech.segments
    if segments:
        kept = [s for s in segments if s[1] <= duration]
        if kept:
            following = [s[0] for s in segments if s[0] >= kept[-1][1]]
            end = min(following[0], duration) if following else kept[-1][1]
            audio = speech.audio[: int(round(end * SAMPLE_RATE))]
            reference = " ".join(s[2] for s in kept)
            return Speech(audio, reference, speech.source,
                          f"cut to {len(kept)} whole utterances ({end:.2f} s) of {speech.duration:.1f} s", kept)
    audio = speech.audio[: int(round(duration * SAMPLE_RATE))]
    return Speech(audio, None, speech.source,
                  f"cut to {duration:.2f} s of {speech.duration:.1f} s; no reference for the cut, so no WER")


def repeat(speech: Speech, times: int, gap: float = 1.0) -> Speech:
    """The speech ``times`` over with ``gap`` seconds of silence between: a long session from a short file.

    The reference is repeated with it, so the WER of a soak run (``--loops``) still means something.
    """
    if times <= 1:
        return speech
    pause = np.zeros(int(round(gap * SAMPLE_RATE)), dtype=np.float32)
    period = speech.duration + len(pause) / SAMPLE_RATE
    segments = None
    if speech.segments is not None:
        segments = [(start + k * period, end + k * period, text)
                    for k in range(times) for start, end, text in speech.segments]
    audio = np.concatenate([speech.audio, pause] * (times - 1) + [speech.audio])
    reference = " ".join([speech.reference] * times) if speech.reference is not None else None
    note = "; ".join(filter(None, [speech.note, f"streamed {times} times with {gap:g} s pauses"]))
    return Speech(audio, reference, speech.source, note, segments)


def espeak_speech() -> Optional[Speech]:
    """A synthetic clip made with espeak-ng (about 25 s), for machines without ../shared."""
    if shutil.which("espeak-ng") is None:
        return None
    with tempfile.TemporaryDirectory(prefix="wl-bench-") as tmp:
        wav = os.path.join(tmp, "speech.wav")
        try:
            subprocess.run(["espeak-ng", "-v", "en-us", "-s", "150", "-w", wav, ESPEAK_TEXT],
                           check=True, capture_output=True, timeout=60)
            audio = load_audio(wav)
        except (OSError, subprocess.SubprocessError):
            return None
    return Speech(audio, ESPEAK_TEXT, "espeak-ng (synthetic)", "espeak-ng en-us, 150 wpm")


def audioeval_speech() -> Optional[Speech]:
    """pytest-audioeval's three English clips joined with 0.5 s pauses (about 8 s), as a last resort."""
    try:
        import pytest_audioeval
    except ImportError:
        return None
    roots = list(getattr(pytest_audioeval, "__path__", []))  # a namespace package: no __file__
    if not roots:
        return None
    folder = Path(roots[0]) / "samples" / "audio" / "en"
    names = ("quick_brown_fox", "counting", "hello_world")
    pieces, texts = [], []
    pause = np.zeros(SAMPLE_RATE // 2, dtype=np.float32)
    for name in names:
        if not (folder / f"{name}.wav").exists():
            return None
        pieces += [load_audio(str(folder / f"{name}.wav")), pause]
        texts.append((folder / f"{name}.txt").read_text(encoding="utf-8").strip())
    return Speech(np.concatenate(pieces), " ".join(texts), "pytest-audioeval en samples", "3 clips joined")


def default_speech() -> Speech:
    """The 3.9 min LJ Speech passage from ../shared, else an espeak-ng clip, else pytest-audioeval's."""
    shared = shared_audio_dir()
    if shared is not None and (shared / LONG_CLIP).exists():
        return load_speech(str(shared / LONG_CLIP))
    for make in (espeak_speech, audioeval_speech):
        speech = make()
        if speech is not None:
            return speech
    raise FileNotFoundError("no default audio: ../shared/audio is absent, espeak-ng is not installed and "
                            "pytest-audioeval is not importable; give --audio FILE --reference TEXT")


def silence(seconds: float, kind: str = "noise", seed: int = 0) -> np.ndarray:
    """``zero``: digital silence; ``noise``: Gaussian noise at about -60 dBFS RMS (a quiet room's mic)."""
    n = int(round(seconds * SAMPLE_RATE))
    if kind == "zero":
        return np.zeros(n, dtype=np.float32)
    if kind == "noise":
        return (np.random.default_rng(seed).standard_normal(n) * 1e-3).astype(np.float32)
    raise ValueError(f"unknown silence kind {kind!r}: use zero or noise")


def phrase_of(speech: Speech, shortest: float = 1.5, longest: float = 6.0) -> np.ndarray:
    """A short phrase of ``speech``: its first utterance of ``shortest``-``longest`` seconds where the
    utterances are known, else its first 3 s."""
    for start, end, _ in speech.segments or []:
        if shortest <= end - start <= longest:
            return speech.audio[int(start * SAMPLE_RATE):int(end * SAMPLE_RATE)]
    return speech.audio[:3 * SAMPLE_RATE]


def with_phrase(background: np.ndarray, phrase: np.ndarray, every: float, first: float) -> np.ndarray:
    """``background`` with ``phrase`` said at ``first`` s and every ``every`` s after, while it fits: a
    client that is silent most of the time."""
    out = background.copy()
    at = first
    while every > 0 and int(at * SAMPLE_RATE) + len(phrase) <= len(out):
        i = int(at * SAMPLE_RATE)
        out[i:i + len(phrase)] += phrase
        at += every
    return out


def late(speech: Speech, seconds: float) -> Speech:
    """``speech`` starting ``seconds`` later: digital silence put before it (utterance times moved too)."""
    if seconds <= 0:
        return speech
    lead = int(round(seconds * SAMPLE_RATE))
    segments = None if speech.segments is None else [
        (start + seconds, end + seconds, text) for start, end, text in speech.segments]
    return replace(speech, audio=np.concatenate([np.zeros(lead, dtype=np.float32), speech.audio]),
                   segments=segments)


def with_starts(speeches: list[Speech], starts: int) -> list[Speech]:
    """Each speech ``starts`` times, each start START_STEP s later than the one before, as separate audio.

    Ordered start by start (all speeches at the first start, then all at the second, ...), so speakers
    taking them in turn get different audio first and different starts after. The later ones are named
    with their lead, e.g. ``ljspeech.flac +0.137 s``.
    """
    out = []
    for lead in start_leads(starts):
        out += [replace(late(s, lead), source=f"{s.source} +{lead:.3f} s") if lead else s for s in speeches]
    return out


def start_leads(starts: int) -> list[float]:
    """The silence (s) put before the audio at each of ``starts`` starts: 0, START_STEP, 2 * START_STEP, ..."""
    return [round(k * START_STEP, 3) for k in range(starts)]


def load_speeches(args: argparse.Namespace) -> list[Speech]:
    """What the speakers stream, in turn: the --audio files (or --mixed, or the default) after --duration."""
    if args.mixed:
        if shared_audio_dir() is None:
            raise ValueError("--mixed needs ../shared/audio beside the checkout")
        paths = list(MIXED)
    else:
        paths = args.audio or [None]
    speeches = []
    for i, path in enumerate(paths):
        speech = load_speech(path) if path else default_speech()
        if args.reference:
            # An explicit reference is taken as the text of exactly what is streamed (after --duration).
            speech = cut(speech, args.duration) if args.duration else speech
            speech.reference = read_reference(args.reference[i])
        else:
            speech = cut(speech, args.duration)
        speeches.append(repeat(speech, args.loops, LOOP_GAP))
    return speeches


def read_speeches(args: argparse.Namespace, load=None) -> Optional[list[Speech]]:
    """``load(args)`` (default :func:`load_speeches`), or None once it has said why the audio cannot be read."""
    try:
        return (load or load_speeches)(args)
    except (OSError, RuntimeError, ValueError) as exc:
        print(f"error: cannot read the audio: {exc}", file=sys.stderr)
        return None
