"""TensorRT-LLM backend: not available in this release.

The flags (--trt_model_path, --trt_multilingual) are accepted so that WhisperLive command lines keep working,
but this project has no TensorRT-LLM Whisper runner yet: it could not be built or tested on the machines the
project is developed on (no NVIDIA GPU). Selecting it fails at start-up with this explanation instead of
failing later.
"""

from whisper_live.transcriber.base import BackendUnavailable


class TensorRTTranscriber:
    def __init__(self, model_path: str, **_options):
        raise BackendUnavailable(
            "the tensorrt backend is not implemented in this release (it needs an NVIDIA GPU with "
            "tensorrt-llm, which the project could not test); use --backend faster_whisper, which also runs "
            "on CUDA GPUs through CTranslate2, or --backend openvino")
