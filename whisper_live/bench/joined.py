"""Join the clips of one ../shared/audio folder into a single stream for the benchmark.

A benchmark client streams one file; the long LJ Speech passage is one speaker reading one text. Joining
the utterances of another folder (other speakers, other texts) in name order, with a short silence
between them, gives a second long stream and its reference (the clips' references joined by spaces):

    python -m whisper_live.bench.joined en/hifitts_6097 --out /tmp/hifitts.flac
    python -m whisper_live.bench --audio /tmp/hifitts.flac --reference /tmp/hifitts.txt -n 8 ...
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np

from whisper_live.bench.audio import manifest_rows, shared_audio_dir
from whisper_live.protocol import SAMPLE_RATE


def join_folder(shared: Path, folder: str, gap: float = 0.3) -> tuple[np.ndarray, str, int]:
    """(audio, reference, clips) of the clips of ``folder`` that have a reference, in name order."""
    import soundfile

    prefix = folder.rstrip("/") + "/"
    rows = [r for r in manifest_rows(shared)
            if r["file"].startswith(prefix) and (r.get("reference_transcript") or "").strip()]
    rows.sort(key=lambda r: r["file"])
    pieces, texts = [], []
    silence = np.zeros(int(gap * SAMPLE_RATE), dtype=np.float32)
    for row in rows:
        audio, rate = soundfile.read(shared / row["file"], dtype="float32")
        if rate != SAMPLE_RATE or audio.ndim != 1:
            raise ValueError(f"{row['file']}: expected 16 kHz mono, got {rate} Hz, shape {audio.shape}")
        pieces += [audio, silence]
        texts.append(row["reference_transcript"].strip())
    if not rows:
        raise ValueError(f"no clip with a reference under {prefix} in {shared / 'manifest.tsv'}")
    return np.concatenate(pieces), " ".join(texts), len(rows)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m whisper_live.bench.joined", description=__doc__.split("\n\n")[0])
    parser.add_argument("folder", help="folder inside ../shared/audio, e.g. en/hifitts_6097 or en/librispeech")
    parser.add_argument("--out", required=True, help="audio file to write (.flac or .wav); the reference is "
                                                     "written beside it with the suffix .txt")
    parser.add_argument("--gap", type=float, default=0.3, help="seconds of silence between clips (default 0.3)")
    args = parser.parse_args(argv)
    shared = shared_audio_dir()
    if shared is None:
        print("error: ../shared/audio is not present beside this checkout", file=sys.stderr)
        return 2
    import soundfile

    try:
        audio, reference, clips = join_folder(shared, args.folder, args.gap)
    except ValueError as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    out = Path(args.out)
    soundfile.write(out, audio, SAMPLE_RATE)
    out.with_suffix(".txt").write_text(reference + "\n", encoding="utf-8")
    print(f"{out}: {clips} clips, {len(audio) / SAMPLE_RATE:.1f} s; reference {out.with_suffix('.txt')} "
          f"({len(reference.split())} words)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
