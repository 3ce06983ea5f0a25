"""What the real model hears in a clip offline, to compare a streamed transcript with."""

from whisper_live.models import resolve_model
from whisper_live.wer import normalize


def spoken_before(path, seconds: float) -> list[str]:
    """The words the same model hears offline in the first ``seconds`` of the (padded) clip."""
    from faster_whisper import WhisperModel

    model = WhisperModel(resolve_model("tiny.en"), compute_type="int8", cpu_threads=1)
    segments, _ = model.transcribe(str(path), language="en", word_timestamps=True)
    words = [w for s in segments for w in s.words if w.end + 0.25 <= seconds]
    return normalize(" ".join(w.word for w in words)).split()
