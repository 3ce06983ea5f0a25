"""Command line: ``python -m whisper_live.convert openvino --model tiny.en --out DIR``."""

from __future__ import annotations

import argparse
import sys
from typing import Optional


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m whisper_live.convert",
        description="Convert Whisper models for other inference backends, offline.")
    sub = parser.add_subparsers(dest="target", required=True)
    ov = sub.add_parser(
        "openvino", help="CTranslate2 Whisper model -> OpenVINO model directory (for --backend openvino)",
        description="Convert a CTranslate2 (faster-whisper) Whisper model into an OpenVINO model directory "
                    "that openvino-genai's WhisperPipeline loads. Needs: pip install -r requirements/convert.txt")
    ov.add_argument("--model", required=True,
                    help="a CTranslate2 model directory, or a bundled model name: tiny.en, base")
    ov.add_argument("--out", required=True, help="output directory (created; must be empty unless --overwrite)")
    ov.add_argument("--weight-format", default="int8", choices=("int8", "fp16", "fp32"),
                    help="weight compression of the OpenVINO model (default: int8)")
    ov.add_argument("--verify-audio", default=None,
                    help="speech clip (English) to check the conversion with; default: a bundled test clip, "
                         "or one synthesised with espeak-ng")
    ov.add_argument("--no-verify", action="store_true", help="skip the transcription check")
    ov.add_argument("--overwrite", action="store_true", help="replace a non-empty --out directory")
    return parser


def main(argv: Optional[list[str]] = None) -> int:
    args = _parser().parse_args(argv)
    from whisper_live.convert.openvino import ConversionError, convert

    try:
        report = convert(args.model, args.out, args.weight_format, verify_audio=args.verify_audio,
                         check=not args.no_verify, overwrite=args.overwrite,
                         log=lambda line: print(line, file=sys.stderr, flush=True))
    except ConversionError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    print(f"OpenVINO model written to {report.out_dir} in {report.seconds:.0f} s", file=sys.stderr)
    for note in report.notes:
        print(f"note: {note}", file=sys.stderr)
    print(f"serve it with: whisper-live-server --backend openvino --openvino_model_path {report.out_dir}",
          file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
