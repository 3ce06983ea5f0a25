"""One transcriber in front of several loads of the same model, one for each kind of work.

With ``--compute_type auto`` partial windows, final windows and files may each run with another compute type
(compute_types.py), so with another load of the model: :class:`PerWork` hands each request to the load of its
kind (a final window's request says ``final``; ``transcribe_file`` goes to the files' load) and answers for
them as one transcriber to the runner in front of it. Loads of the same compute type are one and the same.
"""

from __future__ import annotations

import numpy as np

from whisper_live.transcriber.base import Request, Result, Transcriber
from whisper_live.transcriber.files import FileOptions, FileTranscript


class PerWork(Transcriber):
    """Partial windows to ``partial``, final windows to ``final``, files to ``file``."""

    def __init__(self, partial: Transcriber, final: Transcriber, file: Transcriber):
        self.partial, self.final, self.file = partial, final, file
        for name in ("backend", "model_name", "multilingual", "max_batch_size", "max_concurrency",
                     "continues_mid_window"):
            setattr(self, name, getattr(partial, name))

    def transcribe_batch(self, requests: list[Request]) -> list[Result]:
        finals = [r.final for r in requests]
        if all(finals) or not any(finals):  # (the scheduler batches windows of one kind)
            return (self.final if all(finals) else self.partial).transcribe_batch(requests)
        results: list = [None] * len(requests)
        for load, wanted in ((self.final, True), (self.partial, False)):
            members = [i for i, final in enumerate(finals) if final == wanted]
            for i, result in zip(members, load.transcribe_batch([requests[i] for i in members])):
                results[i] = result
        return results

    def transcribe_file(self, audio: np.ndarray, options: FileOptions) -> FileTranscript:
        return self.file.transcribe_file(audio, options)

    def padded_seconds(self, seconds: float, final: bool = False) -> float:
        return (self.final if final else self.partial).padded_seconds(seconds, final)

    def close(self) -> None:
        for load in {id(t): t for t in (self.partial, self.final, self.file)}.values():
            load.close()
