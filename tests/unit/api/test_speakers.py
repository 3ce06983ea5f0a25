"""Speaker labels over REST (whisper_live/api/speakers.py): the fields, voice references, and labelling a file's
segments, with a fake embedder whose "voice" of a clip is the share of its samples at speaker B's level."""

import base64

import numpy as np
import pytest
from starlette.datastructures import FormData

from whisper_live.api.errors import ApiError
from whisper_live.api.speakers import FileSpeakers, SpeakerRequest, letter_label, reference_audio
from whisper_live.bench.diarization import wav_bytes
from whisper_live.protocol import SAMPLE_RATE, Word
from whisper_live.transcriber.files import FileSegment

A, B, C = 0.1, 0.3, 0.6


class FakeEmbedder:
    """A clip's embedding: how much of it is at each of the levels A, B and C."""

    def embed(self, clip):
        return None if len(clip) < SAMPLE_RATE // 2 else self.embed_batch([clip])[0]

    def embed_batch(self, clips):
        out = []
        for clip in clips:
            level = np.abs(clip)
            vector = np.array([np.mean(level < 0.2), np.mean((level >= 0.2) & (level < 0.45)), np.mean(level >= 0.45)])
            out.append(vector / max(np.linalg.norm(vector), 1e-9))
        return np.array(out)


def _audio(*parts):
    return np.concatenate([np.full(int(seconds * SAMPLE_RATE), level, dtype=np.float32) for level, seconds in parts])


def _data_url(samples: np.ndarray) -> str:
    return "data:audio/wav;base64," + base64.b64encode(wav_bytes(samples)).decode()


def _segment(i, start, end, step=0.5):
    words = [Word(t, min(t + step, end), f" w{j}") for j, t in enumerate(np.arange(start, end - 1e-6, step))]
    return FileSegment(i, 0, start, end, "".join(w.word for w in words), tokens=[1, 2, 3], avg_logprob=-0.2,
                       words=words)


def _request(response_format="diarized_json", **fields):
    items = [(k, v) for k, values in fields.items() for v in (values if isinstance(values, list) else [values])]
    return SpeakerRequest.from_form(FormData(items), response_format)


def _refused(response_format="verbose_json", **fields) -> ApiError:
    with pytest.raises(ApiError) as refused:
        _request(response_format, **fields)
    assert refused.value.status == 400
    return refused.value


def test_openai_letters_for_unnamed_speakers():
    assert [letter_label(i) for i in (0, 1, 25, 26, 27, 701, 702)] == ["A", "B", "Z", "AA", "AB", "ZZ", "AAA"]


def test_what_asks_for_speakers():
    assert _request("verbose_json") is None and _request("json") is None
    assert _request("diarized_json").param == "response_format"
    assert _request("verbose_json", diarize="true").param == "diarize"
    assert _request("verbose_json", diarize="false") is None
    names = _request("verbose_json", **{"known_speaker_names[]": ["Ann", "Bob"]})
    assert names.param == "known_speaker_names[]" and names.names == ("Ann", "Bob") and not names.references
    request = _request(**{"known_speaker_names[]": ["Ann", "Bob"], "known_speaker_references[]": ["data:,x"],
                          "max_speakers": "3", "diarization_threshold": "0.7"})
    assert request.references == ("data:,x",) and request.max_speakers == 3 and request.threshold == 0.7


def test_bad_speaker_fields_are_refused_with_the_field_named():
    assert _refused("json", diarize="true").param == "response_format"
    assert _refused("srt", **{"known_speaker_names[]": "Ann"}).param == "response_format"
    assert _refused(diarize="maybe").param == "diarize"
    assert _refused(**{"known_speaker_references[]": "data:,x"}).param == "known_speaker_names[]"
    assert _refused(**{"known_speaker_names[]": ["Ann", "Ann"]}).param == "known_speaker_names[]"
    assert _refused(diarize="true", max_speakers="0").param == "max_speakers"
    assert _refused(diarize="true", diarization_threshold="high").param == "diarization_threshold"
    assert _refused(max_speakers="1", **{"known_speaker_names[]": ["Ann", "Bob"],
                                         "known_speaker_references[]": ["data:,x", "data:,y"]}).param == "max_speakers"


@pytest.mark.parametrize("url, code", [
    ("https://example.com/ann.wav", "invalid_value"), ("data:audio/wav;base64,@@@", "invalid_value"),
    ("data:audio/wav;base64," + base64.b64encode(b"not audio at all").decode(), "invalid_audio"),
    (_data_url(_audio((A, 0.5))), "invalid_audio")])  # too short to say much about a voice
def test_a_bad_voice_reference_is_refused(url, code):
    with pytest.raises(ApiError) as refused:
        reference_audio(url, 0)
    assert refused.value.status == 400 and refused.value.code == code
    assert refused.value.param == "known_speaker_references[]"
    assert "known_speaker_references[] 0" in refused.value.message


def test_a_voice_reference_decodes_to_16_khz_samples():
    audio = reference_audio(_data_url(_audio((B, 2.0))), 0)
    assert len(audio) == 2 * SAMPLE_RATE and abs(float(np.mean(audio)) - B) < 0.01


def _labelled(request, audio, segments):
    speakers = FileSpeakers(request, audio, FakeEmbedder())
    return [piece for segment in segments for piece in speakers.label(segment)] + speakers.finish()


def test_voices_get_letters_in_order_of_appearance():
    audio = _audio((B, 2), (0, 1), (A, 2), (0, 1), (B, 2))
    out = _labelled(_request(), audio, [_segment(0, 0, 2), _segment(1, 3, 5), _segment(2, 6, 8)])
    assert [s.speaker for s in out] == ["A", "B", "A"]
    assert [s.tokens for s in out] == [[1, 2, 3]] * 3  # whole segments keep what Whisper gave


def test_references_name_their_voices_and_the_others_get_letters():
    audio = _audio((A, 2), (0, 1), (C, 2), (0, 1), (B, 2))
    request = _request(**{"known_speaker_names[]": ["Bea", "Carl"],
                          "known_speaker_references[]": [_data_url(_audio((B, 2))), _data_url(_audio((C, 2)))]})
    out = _labelled(request, audio, [_segment(0, 0, 2), _segment(1, 3, 5), _segment(2, 6, 8)])
    assert [s.speaker for s in out] == ["A", "Carl", "Bea"]


def test_names_without_references_go_in_order_of_appearance():
    audio = _audio((C, 2), (0, 1), (A, 2), (0, 1), (B, 2))
    request = _request(**{"known_speaker_names[]": ["Ann", "Bob"]})
    out = _labelled(request, audio, [_segment(0, 0, 2), _segment(1, 3, 5), _segment(2, 6, 8)])
    assert [s.speaker for s in out] == ["Ann", "Bob", "A"]


def test_a_change_of_voice_inside_a_segment_splits_it():
    audio = _audio((A, 3.0), (B, 3.0))
    [first, second] = _labelled(_request(), audio, [_segment(0, 0, 6)])
    assert (first.speaker, second.speaker) == ("A", "B") and first.end == second.start
    assert abs(first.end - 3.0) <= 0.5 and first.text.startswith(" ") and second.text.startswith(" ")
    assert (first.text + second.text).split() == _segment(0, 0, 6).text.split()
    assert first.tokens == second.tokens == [] and first.avg_logprob == second.avg_logprob == -0.2


def test_silence_gets_no_speaker():
    [out] = _labelled(_request(), _audio((0, 3)), [_segment(0, 0, 3)])
    assert out.speaker is None
