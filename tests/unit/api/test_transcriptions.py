"""The transcription endpoints' checks (whisper_live/api/transcriptions.py), without a server."""

import pytest

from tests.fakes import ScriptedTranscriber
from whisper_live.api.errors import ApiError
from whisper_live.api.transcriptions import TranscriptionParams, check_model_fits


def test_a_backend_that_cannot_transcribe_files_answers_501():
    with pytest.raises(ApiError) as refused:
        check_model_fits(TranscriptionParams(task="transcribe"), ScriptedTranscriber())
    assert refused.value.status == 501 and refused.value.code == "not_implemented"
