"""OpenVINO backend: openvino-genai's ``WhisperPipeline`` on the CPU (or an Intel GPU).

The model is an OpenVINO Whisper model directory (``openvino_encoder_model.xml``, ``openvino_decoder_model.xml``,
the tokenizer/detokenizer and ``generation_config.json``), made offline from a CTranslate2 model with
``python -m whisper_live.convert openvino`` (see docs/openvino.md) or downloaded from a model hub.

What the pipeline gives and does not give, and what this backend does about it:

* Segments with timestamps (``return_timestamps``), word timestamps (from pipelines built with
  ``word_timestamps=True``, made on the first request that asks for words: built that way a pipeline is
  slower on every call, docs/openvino.md, "What the backend does and does not do"), ``initial_prompt``
  (with any ``Request.prefix`` at its end), ``hotwords``, language and task. Times are seconds from the
  start of the request's audio, clamped to its length.
* No no-speech probability and no log-probability (``no_speech_prob`` and ``avg_logprob`` stay 0.0): the
  model transcribes one second of silence as " you". VAD gating is done upstream by the streaming core,
  which only ever sends windows with speech; a caller without a VAD gets such hallucinations.
* Language detection with its probability: the pipeline reports the detected language but no probability,
  so when a multilingual model gets a request without a language this backend runs the encoder and one
  decoder step itself (openvino runtime, Whisper's log-mel from faster-whisper's feature extractor), takes
  the softmax over the language tokens, and passes the winner to the pipeline. That costs one more encoder
  pass on such requests only (docs/openvino.md has its cost); the streaming core sends them until it
  knows the client's language. Without faster-whisper installed the pipeline's own detection is used and
  ``language_prob`` stays None.
* No way to start the text mid-window (``Request.decode_from``): such a request is transcribed from that
  time on, with its prompt, so the model does not hear the context's audio, only reads its text.
* Whisper's temperature fallback: when the greedy text repeats itself (gzip compression ratio > 2.4), the
  request is decoded again with sampling at rising temperatures.
* One ``generate()`` at a time per pipeline (a second concurrent call fails with "Infer Request is busy");
  ``generate()`` releases the GIL. This backend keeps a pool of ``num_workers`` pipelines, each with
  ``cpu_threads`` inference threads; a call takes a free pipeline or waits for one (``num_workers=1``: one
  pipeline behind a lock). On 2 cores one pipeline with 2 threads answers each window sooner than two
  single-thread pipelines, at the same or better throughput, so use ``cpu_threads=2, num_workers=1``
  there (docs/openvino.md, "Concurrency").
"""

from __future__ import annotations

import dataclasses
import json
import logging
import os
import queue
import threading
from contextlib import contextmanager
from typing import Optional

import numpy as np

from whisper_live.protocol import SAMPLE_RATE, Word
from whisper_live.transcriber.base import BackendUnavailable, RawSegment, Request, Result, Transcriber
from whisper_live.transcriber.fallback import FALLBACK_SEED, FALLBACK_TEMPERATURES, repeats_itself

log = logging.getLogger(__name__)

INSTALL_HINT = ("pip install openvino==2026.4.1 openvino-genai==2026.4.1.0 openvino-tokenizers==2026.4.1.0 "
                "(or: pip install -r requirements/openvino.txt)")

MISSING_MODEL_HELP = """\
The openvino backend needs an OpenVINO Whisper model directory: --openvino_model_path DIR.
Make one offline from a bundled model (needs: pip install -r requirements/convert.txt, then
pip uninstall -y torchvision):
    python -m whisper_live.convert openvino --model tiny.en --out ~/models/whisper-tiny.en-openvino
    (--model base for the multilingual base model, or a CTranslate2 model directory;
     --weight-format int8|fp16|fp32, default int8)
On a machine with internet access you can instead download an OpenVINO Whisper model from a model hub
(for example the OpenVINO organisation's whisper-*-ov repositories on Hugging Face) or export one with
optimum-cli export openvino --model openai/whisper-tiny.en --task automatic-speech-recognition-with-past DIR.
Then start the server with: --backend openvino --openvino_model_path DIR"""

REQUIRED_FILES = ("openvino_encoder_model.xml", "openvino_decoder_model.xml", "openvino_detokenizer.xml",
                  "generation_config.json")

# The pipeline's feature extractor needs more than n_fft / 2 samples (reflect padding).
MIN_SAMPLES = 201
MAX_NEW_TOKENS = 224


def check_model_dir(model_dir: str) -> None:
    """Raise FileNotFoundError, with how to get a model, unless ``model_dir`` holds an OpenVINO Whisper model."""
    if not model_dir or not os.path.isdir(model_dir):
        raise FileNotFoundError(f"OpenVINO model directory {model_dir!r} does not exist.\n{MISSING_MODEL_HELP}")
    missing = [name for name in REQUIRED_FILES if not os.path.exists(os.path.join(model_dir, name))]
    if missing:
        hint = ""
        if os.path.exists(os.path.join(model_dir, "model.bin")):
            hint = (" It holds a CTranslate2 model (model.bin): convert it with "
                    f"python -m whisper_live.convert openvino --model {model_dir} --out DIR.")
        raise FileNotFoundError(f"{model_dir} is not an OpenVINO Whisper model: it lacks "
                                f"{', '.join(missing)}.{hint}\n{MISSING_MODEL_HELP}")


class OpenVINOTranscriber(Transcriber):
    backend = "openvino"
    max_batch_size = 1

    def __init__(self, model_dir: str, *, cpu_threads: int = 1, num_workers: int = 1, model_name: str = "",
                 device: str = "CPU"):
        try:
            import openvino_genai
        except ImportError as exc:
            raise BackendUnavailable(
                f"the openvino backend needs openvino-genai, which is not installed ({exc}): {INSTALL_HINT}"
            ) from None
        check_model_dir(model_dir)
        self.model_dir = os.path.abspath(model_dir)
        self.model_name = model_name or os.path.basename(self.model_dir.rstrip("/"))
        with open(os.path.join(model_dir, "generation_config.json"), encoding="utf-8") as f:
            gen_config = json.load(f)
        self.multilingual = bool(gen_config.get("is_multilingual", False))
        self._languages = {token.strip("<|>") for token in gen_config.get("lang_to_id", {})}
        self.cpu_threads = max(1, int(cpu_threads))
        self.max_concurrency = max(1, int(num_workers))
        self._gen_config = gen_config
        self._device = device
        self._genai = openvino_genai
        self._detector = None
        self._detector_lock = threading.Lock()
        # At most ``num_workers`` generate() calls at once, over two kinds of pipeline: plain ones (made now)
        # and ones built with word_timestamps=True (made on the first request that asks for words; building
        # every pipeline that way slows every call, words asked for or not: docs/openvino.md).
        self._slots = threading.Semaphore(self.max_concurrency)
        self._pools: dict = {False: queue.Queue(), True: queue.Queue()}
        self._created = {False: 0, True: 0}
        self._create_lock = threading.Lock()
        for _ in range(self.max_concurrency):
            self._pools[False].put(self._new_pipeline(False))

    def _new_pipeline(self, words: bool):
        properties = {"INFERENCE_NUM_THREADS": self.cpu_threads}
        if words:
            properties["word_timestamps"] = True
        pipeline = self._genai.WhisperPipeline(self.model_dir, self._device, **properties)
        self._created[words] += 1
        return pipeline

    @contextmanager
    def _pipeline(self, words: bool):
        with self._slots:
            pool = self._pools[words]
            try:
                pipeline = pool.get_nowait()
            except queue.Empty:
                with self._create_lock:
                    grow = self._created[words] < self.max_concurrency
                    pipeline = self._new_pipeline(words) if grow else None
                if pipeline is None:
                    pipeline = pool.get()
            try:
                yield pipeline
            finally:
                pool.put(pipeline)

    def _config(self, pipeline, request: Request):
        config = pipeline.get_generation_config()  # a copy
        config.return_timestamps = True
        config.word_timestamps = bool(request.word_timestamps)
        config.max_new_tokens = MAX_NEW_TOKENS
        if self.multilingual:
            if request.language:
                if request.language not in self._languages:
                    raise ValueError(f"language {request.language!r} is not known to this model")
                config.language = f"<|{request.language}|>"
            config.task = request.task if request.task in ("transcribe", "translate") else "transcribe"
        prompt = request.prompt_text()  # (the pipeline cannot start its answer with given text)
        if prompt:
            config.initial_prompt = prompt
        if request.hotwords:
            config.hotwords = request.hotwords
        return config

    def transcribe_batch(self, requests: list[Request]) -> list[Result]:
        return [self._transcribe(request) for request in requests]

    def _transcribe(self, request: Request) -> Result:
        audio = np.ascontiguousarray(request.audio, dtype=np.float32).reshape(-1)
        skip = int(round(request.decode_from * SAMPLE_RATE))
        if skip > 0:
            # The pipeline cannot start its text mid-window: it hears only the audio from there, after the
            # prompt (the context's text), and its times move back onto the request's clock.
            result = self._transcribe(dataclasses.replace(request, audio=audio[skip:], decode_from=0.0))
            for segment in result.segments:
                segment.start, segment.end = segment.start + request.decode_from, segment.end + request.decode_from
                for word in segment.words or []:
                    word.start, word.end = word.start + request.decode_from, word.end + request.decode_from
            return result
        if len(audio) < MIN_SAMPLES:
            return Result()
        duration = len(audio) / SAMPLE_RATE
        detected = None
        if self.multilingual and not request.language:
            detected = self._detect_language(audio)
        with self._pipeline(bool(request.word_timestamps)) as pipeline:
            config = self._config(pipeline, request)
            if detected is not None:
                config.language = f"<|{detected[0]}|>"
            output = pipeline.generate(audio, config)
            text = "".join(output.texts)
            if repeats_itself(text):
                for temperature in FALLBACK_TEMPERATURES:
                    config.do_sample = True
                    config.temperature = temperature
                    config.rng_seed = FALLBACK_SEED
                    retry = pipeline.generate(audio, config)
                    if not repeats_itself("".join(retry.texts)):
                        output = retry
                        break
        result = Result(segments=self._segments(output, duration, request.word_timestamps))
        if self.multilingual and not request.language:
            if detected is not None:
                result.language, result.language_prob = detected
            else:
                result.language = (getattr(output, "language", "") or "").strip("<|>") or None
        return result

    def _detect_language(self, audio: np.ndarray) -> Optional[tuple[str, float]]:
        """(language code, probability) from the first 30 s of ``audio``, or None if it cannot be had."""
        with self._detector_lock:
            if self._detector is None:
                try:
                    self._detector = _LanguageDetector(self.model_dir, self._gen_config, self.cpu_threads,
                                                       self._device)
                except Exception as exc:  # no faster-whisper, or a model without the expected inputs
                    log.warning("language probability unavailable (%s: %s); using the pipeline's detection",
                                type(exc).__name__, exc)
                    self._detector = False
            if self._detector is False:
                return None
            return self._detector.detect(audio)

    @staticmethod
    def _segments(output, duration: float, word_timestamps: bool) -> list[RawSegment]:
        segments: list[RawSegment] = []
        for chunk in output.chunks or []:
            if not chunk.text.strip():
                continue
            start = min(max(0.0, float(chunk.start_ts)), duration)
            end = float(chunk.end_ts)
            end = duration if end < 0 else min(max(start, end), duration)  # an open segment ends with the audio
            segments.append(RawSegment(start=start, end=end, text=chunk.text))
        if not segments and "".join(output.texts).strip():
            segments.append(RawSegment(start=0.0, end=duration, text="".join(output.texts)))
        if word_timestamps and segments:
            words = [Word(start=min(max(0.0, float(w.start_ts)), duration),
                          end=min(max(0.0, float(w.end_ts)), duration), word=w.word)
                     for w in (output.words or [])]
            _assign_words(segments, words)
        return segments

    def close(self) -> None:
        for pool in self._pools.values():
            while True:
                try:
                    pool.get_nowait()
                except queue.Empty:
                    break
        self._detector = None


class _LanguageDetector:
    """Whisper's language detection on the OpenVINO encoder and decoder: softmax over the language tokens
    of the logits after ``<|startoftranscript|>``. Not thread-safe (the caller holds a lock)."""

    def __init__(self, model_dir: str, gen_config: dict, threads: int, device: str):
        import openvino
        from faster_whisper.feature_extractor import FeatureExtractor

        n_mels = 80
        preprocessor = os.path.join(model_dir, "preprocessor_config.json")
        if os.path.exists(preprocessor):
            with open(preprocessor, encoding="utf-8") as f:
                n_mels = int(json.load(f).get("feature_size", 80))
        self.features = FeatureExtractor(feature_size=n_mels)
        core = openvino.Core()
        properties = {"INFERENCE_NUM_THREADS": threads}
        self.encoder = core.compile_model(os.path.join(model_dir, "openvino_encoder_model.xml"), device,
                                          properties).create_infer_request()
        self.decoder = core.compile_model(os.path.join(model_dir, "openvino_decoder_model.xml"), device,
                                          properties).create_infer_request()
        languages = sorted(gen_config["lang_to_id"].items(), key=lambda item: item[1])
        self.codes = [token.strip("<|>") for token, _ in languages]
        self.ids = np.array([token_id for _, token_id in languages])
        self.sot = int(gen_config["decoder_start_token_id"])

    def detect(self, audio: np.ndarray) -> tuple[str, float]:
        window = np.zeros(30 * SAMPLE_RATE, dtype=np.float32)
        clip = audio[: len(window)]
        window[: len(clip)] = clip
        features = self.features(window)[:, :3000][None].astype(np.float32)
        hidden = self.encoder.infer([features])[0]
        self.decoder.reset_state()
        outputs = self.decoder.infer({"input_ids": np.array([[self.sot]], dtype=np.int64),
                                      "encoder_hidden_states": hidden,
                                      "beam_idx": np.array([0], dtype=np.int32)})
        logits = np.asarray(outputs["logits"])[0, -1, self.ids].astype(np.float64)
        probabilities = np.exp(logits - logits.max())
        probabilities /= probabilities.sum()
        best = int(probabilities.argmax())
        return self.codes[best], float(probabilities[best])


def _assign_words(segments: list[RawSegment], words: list[Word]) -> None:
    """Give each segment the words whose middle falls into it (the last segment takes the overflow).

    A segment with words then spans them, as in the faster_whisper backend: the chunk's timestamps are
    coarser than the words', and a word must not stick out of its segment.
    """
    for segment in segments:
        segment.words = []
    index = 0
    for word in words:
        middle = (word.start + word.end) / 2
        while index + 1 < len(segments) and middle >= segments[index + 1].start:
            index += 1
        segments[index].words.append(word)
    for segment in segments:
        if segment.words:
            segment.start, segment.end = segment.words[0].start, segment.words[-1].end
