"""The transcription endpoints' checks (whisper_live/api/transcriptions.py), without a server."""

import pytest

from tests.fakes import ScriptedTranscriber
from whisper_live.api.errors import ApiError
from whisper_live.api.transcriptions import TranscriptionParams, check_model_fits


def test_a_backend_that_cannot_transcribe_files_answers_501():
    with pytest.raises(ApiError) as refused:
        check_model_fits(TranscriptionParams(task="transcribe"), ScriptedTranscriber())
    assert refused.value.status == 501 and refused.value.code == "not_implemented"


class FileTranscriber(ScriptedTranscriber):
    def transcribe_file(self, audio, options):
        raise AssertionError("not called here")


def _params(**fields):
    from starlette.datastructures import FormData

    return TranscriptionParams.from_form(FormData(list(fields.items())), "transcribe")


def test_speakers_come_with_word_times_and_may_be_streamed():
    params = _params(response_format="diarized_json", stream="true")
    assert params.stream and params.speakers is not None and params.file_options().word_timestamps
    plain = _params(response_format="verbose_json")
    assert plain.speakers is None and not plain.file_options().word_timestamps
    with pytest.raises(ApiError) as refused:
        _params(response_format="verbose_json", diarize="true", stream="true")
    assert refused.value.param == "stream"


def test_a_server_without_speaker_labels_refuses_them_with_a_warning(caplog):
    params = _params(response_format="diarized_json")
    with caplog.at_level("WARNING", logger="whisper_live.api.speakers"), pytest.raises(ApiError) as refused:
        check_model_fits(params, FileTranscriber(), diarization=False)
    assert refused.value.status == 400 and refused.value.code == "diarization_unavailable"
    assert refused.value.param == "response_format" and "--diarization off" in refused.value.message
    assert any(r.levelname == "WARNING" and "speakers" in r.getMessage() for r in caplog.records)
    check_model_fits(params, FileTranscriber(), diarization=True)
    check_model_fits(_params(response_format="json"), FileTranscriber(), diarization=False)
