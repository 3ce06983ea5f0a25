"""Join the clips of one ../shared/audio folder into a single stream for the benchmark.

The benchmark joins such a folder itself (``--audio en/hifitts_6097``, ``--mixed``); this writes the
joined stream to a file, for other tools or other servers' benchmarks:

    python -m whisper_live.bench.joined en/hifitts_6097 --out /tmp/hifitts.flac
    python -m whisper_live.bench --audio /tmp/hifitts.flac --reference /tmp/hifitts.txt -n 8 ...
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from whisper_live.bench.audio import join_folder, shared_audio_dir, write_sidecar
from whisper_live.protocol import SAMPLE_RATE


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m whisper_live.bench.joined", description=__doc__.split("\n\n")[0])
    parser.add_argument("folder", help="folder inside ../shared/audio, e.g. en/hifitts_6097 or en/librispeech")
    parser.add_argument("--out", required=True, help="audio file to write (.flac or .wav); the reference is "
                                                     "written beside it with the suffix .txt, and where each "
                                                     "clip lies in NAME.segments.tsv")
    parser.add_argument("--gap", type=float, default=0.3, help="seconds of silence between clips (default 0.3)")
    args = parser.parse_args(argv)
    shared = shared_audio_dir()
    if shared is None:
        print("error: ../shared/audio is not present beside this checkout", file=sys.stderr)
        return 2
    import soundfile

    try:
        speech = join_folder(shared, args.folder, args.gap)
    except ValueError as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    out = Path(args.out)
    soundfile.write(out, speech.audio, SAMPLE_RATE)
    out.with_suffix(".txt").write_text(speech.reference + "\n", encoding="utf-8")
    write_sidecar(out, speech.segments)
    print(f"{out}: {len(speech.segments)} clips, {speech.duration:.1f} s; reference {out.with_suffix('.txt')} "
          f"({len(speech.reference.split())} words)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
