"""The loaded models and the runner (scheduler or locked runner) in front of each, by model name.

Which model serves a client (documented in README):

* default (single model): the model chosen at start-up serves every client. A client that asks for
  another model gets a WARNING naming the model it is served with.
* ``--no_single_model``: each client is served by the model it asks for (``model`` in its options, or the
  server's default when it asks for none). Models are loaded on first use and shared by all clients that
  ask for the same one. A model that cannot be loaded gets the client an ERROR.
"""

from __future__ import annotations

import logging
import threading
from pathlib import Path
from typing import Optional

from whisper_live.locked_runner import LockedRunner
from whisper_live.models import ModelNotFound, default_cache_dir, resolve_model
from whisper_live.runner import Runner
from whisper_live.scheduler import Scheduler
from whisper_live.server.config import ServerConfig
from whisper_live.server.ops.metrics import Metrics
from whisper_live.server.session.memory import release_free_memory
from whisper_live.transcriber import Transcriber, ctranslate2_device, load_transcriber
from whisper_live.transcriber import compute_types
from whisper_live.transcriber.encoder_input import FULL_INPUTS
from whisper_live.transcriber.per_work import PerWork

log = logging.getLogger(__name__)


class ModelPool:
    """The loaded models and their schedulers, by model name."""

    def __init__(self, config: ServerConfig, metrics: Optional[Metrics] = None):
        self.config = config
        self.metrics = metrics
        self._runners: dict[str, Runner] = {}  # by model path
        self._lock = threading.Lock()

    def model_path(self, name: Optional[str]) -> tuple[str, str]:
        """(display name, path) of a model for the configured backend."""
        cfg = self.config
        if cfg.backend == "openvino":
            if not cfg.openvino_model_path:
                from whisper_live.transcriber.openvino_backend import MISSING_MODEL_HELP

                raise ModelNotFound(MISSING_MODEL_HELP)
            return cfg.openvino_model_path, cfg.openvino_model_path
        if cfg.backend == "tensorrt":  # loading it says that it is not available in this release
            return "tensorrt", cfg.trt_model_path or ""
        name = name or cfg.model or "tiny.en"
        return name, resolve_model(name, cfg.cache_path)

    def get(self, name: Optional[str] = None) -> Runner:
        """The runner (scheduler) serving model ``name``; loads it on first use."""
        display, path = self.model_path(name)
        with self._lock:
            runner = self._runners.get(path)
            if runner is None:
                cfg = self.config
                transcriber = self._load(display, path)
                if cfg.inference_mode == "locked":
                    runner = LockedRunner(transcriber)
                else:
                    runner = Scheduler(transcriber, workers=cfg.workers, max_batch_size=cfg.max_batch_size,
                                       # such finals gain nothing from a batch, and each would wait for all
                                       max_final_batch_size=1 if cfg.final_beam_size > 1 else None)
                if self.metrics is not None:
                    runner.on_batch = self.metrics.batch_observer(cfg.backend, display)
                    self.metrics.watch_model(cfg.backend, display, lambda m=runner.meter: m.snapshot().utilization)
                    if isinstance(runner, Scheduler):
                        self.metrics.watch_ladder(cfg.backend, display, lambda ladder=runner.ladder: ladder.index)
                runner.start()
                self._runners[path] = runner
                log.info("loaded %s model %s (%s)", cfg.backend, display, path)
            return runner

    def _load(self, display: str, path: str) -> Transcriber:
        """Load model ``path``: for faster_whisper, once for each compute type its kinds of work run with
        (whisper_live/transcriber/compute_types.py), behind one transcriber."""
        cfg = self.config
        options = {"max_batch_size": cfg.max_batch_size} if cfg.backend == "faster_whisper" else {}
        if cfg.backend == "tensorrt":
            options["multilingual"] = cfg.trt_multilingual
        if cfg.backend == "faster_whisper" and not cfg.sized_encoder_input:
            options["encoder_inputs"] = FULL_INPUTS

        def load(**more) -> Transcriber:
            return load_transcriber(cfg.backend, path, model_name=display, cpu_threads=cfg.cpu_threads,
                                    num_workers=cfg.workers, **options, **more)

        if cfg.backend != "faster_whisper":
            return load()
        import ctranslate2

        device = ctranslate2_device()
        choices, loads = compute_types.resolve(
            cfg.compute_type, device, lambda compute_type: load(device=device, compute_type=compute_type),
            Path(cfg.cache_path) if cfg.cache_path else default_cache_dir(), path, cfg.cpu_threads,
            supported=set(ctranslate2.get_supported_compute_types(device)))
        release_free_memory()  # a load that was timed and is not kept: tens of MB back to the system
        log.info("compute types of %s on %s: %s", display, device, compute_types.describe(choices))
        if self.metrics is not None:
            self.metrics.compute_types(cfg.backend, display,
                                       {w: (c.compute_type, c.reason) for w, c in choices.items()})
        if len(loads) == 1:
            return next(iter(loads.values()))
        return PerWork(**{work: loads[choice.compute_type] for work, choice in choices.items()})

    def loaded(self) -> list[str]:
        """Names of the models loaded so far (the default one first)."""
        with self._lock:
            return [runner.transcriber.model_name for runner in self._runners.values()]

    def close(self) -> None:
        with self._lock:
            for runner in self._runners.values():
                runner.stop()
            self._runners.clear()


