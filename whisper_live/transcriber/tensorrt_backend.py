"""TensorRT-LLM backend: not available in this release.

The flags (--trt_model_path, --trt_multilingual) are accepted so that WhisperLive command lines keep working,
but there is no TensorRT-LLM Whisper runner here: selecting the backend fails at start-up with
:class:`BackendUnavailable`, whose message names the backends that do run (faster_whisper, also on CUDA GPUs
through CTranslate2, and openvino), instead of failing later.
"""

from whisper_live.transcriber.base import BackendUnavailable


class TensorRTTranscriber:
    def __init__(self, model_path: str, **_options):
        raise BackendUnavailable(
            "the tensorrt backend is not implemented in this release (there is no TensorRT-LLM Whisper runner); "
            "use --backend faster_whisper, which also runs on CUDA GPUs through CTranslate2, or --backend openvino")
