"""One transcriber in front of a load of the model per kind of work (whisper_live/transcriber/per_work.py)."""

import numpy as np

from tests.fakes import ScriptedTranscriber
from whisper_live.transcriber.base import Request
from whisper_live.transcriber.per_work import PerWork


def request(final):
    return Request(np.zeros(16000, np.float32), final=final)


class Load(ScriptedTranscriber):
    def __init__(self, name):
        super().__init__(max_batch_size=4)
        self.name, self.files, self.closed = name, 0, 0

    def transcribe_file(self, audio, options):
        self.files += 1

    def close(self):
        self.closed += 1


def test_each_kind_of_work_goes_to_its_load_and_a_shared_load_closes_once():
    int8, float32 = Load("int8"), Load("float32")
    per_work = PerWork(partial=int8, final=int8, file=float32)
    assert per_work.max_batch_size == 4
    per_work.transcribe_batch([request(False), request(False)])
    per_work.transcribe_batch([request(True)])
    per_work.transcribe_file(np.zeros(16000, np.float32), None)
    assert (len(int8.calls), len(float32.calls), float32.files) == (2, 0, 1)
    per_work = PerWork(partial=int8, final=float32, file=float32)
    results = per_work.transcribe_batch([request(True), request(False), request(True)])
    assert len(results) == 3 and [len(c) for c in float32.calls] == [2] and [len(c) for c in int8.calls[2:]] == [1]
    per_work.close()
    assert (int8.closed, float32.closed) == (1, 1)
