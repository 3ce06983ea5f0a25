"""The OpenVINO backend with the real model: the bundled tiny.en converted once (tests/integration/conftest.py)
and transcribed through OpenVINOTranscriber; the multilingual base for language detection and translation.
Skipped only when openvino-genai is not installed; a missing converter dependency fails.
"""

from __future__ import annotations

import csv
import threading

import numpy as np
import pytest

from tests.conftest import SHARED_AUDIO
from whisper_live.transcriber.base import Request
from whisper_live.wer import corpus_wer, normalize, wer


@pytest.fixture(scope="session")
def tiny_en_transcriber(ov_tiny_en):
    from whisper_live.transcriber.openvino_backend import OpenVINOTranscriber

    transcriber = OpenVINOTranscriber(str(ov_tiny_en), cpu_threads=1, num_workers=2)
    yield transcriber
    transcriber.close()


def _load(path) -> np.ndarray:
    from faster_whisper.audio import decode_audio

    return np.asarray(decode_audio(str(path)), dtype=np.float32)


def _test_speech() -> list[tuple[np.ndarray, str]]:
    """LibriSpeech clips from ../shared/audio when present, else pytest-audioeval's clips."""
    manifest = SHARED_AUDIO / "manifest.tsv"
    if manifest.exists():
        with open(manifest, newline="", encoding="utf-8") as f:
            rows = [r for r in csv.DictReader(f, delimiter="\t") if r["file"].startswith("en/librispeech/")]
        if rows:
            return [(_load(SHARED_AUDIO / r["file"]), r["reference_transcript"]) for r in rows]
    from tests.conftest import audioeval_clip

    # (not "counting": tiny.en writes it as digits, "1-2-345-678910.", with either backend)
    clips = [audioeval_clip("en", name) for name in ("quick_brown_fox", "hello_world")]
    return [(_load(path), text) for path, text in clips]


@pytest.fixture(scope="module")
def transcribed(tiny_en_transcriber) -> list[tuple[np.ndarray, str, object]]:
    """(audio, reference, the converted model's result) of every clip of :func:`_test_speech`, transcribed once
    for the two tests below."""
    return [(audio, text, tiny_en_transcriber.transcribe_batch([Request(audio=audio, language="en")])[0])
            for audio, text in _test_speech()]


def test_converted_tiny_en_transcribes_test_speech(transcribed):
    hypotheses = []
    for audio, _, result in transcribed:
        duration = len(audio) / 16000
        for segment in result.segments:
            assert 0.0 <= segment.start <= segment.end <= duration + 1e-6
        assert [s.start for s in result.segments] == sorted(s.start for s in result.segments)
        hypotheses.append("".join(s.text for s in result.segments))
    score = corpus_wer([text for _, text, _ in transcribed], hypotheses)
    # measured: 0.067 on the 15 LibriSpeech clips (faster-whisper, same weights: 0.072); 0.00 on the
    # audioeval clips
    assert score <= 0.10, list(zip([t for _, t, _ in transcribed], hypotheses))


def test_converted_model_agrees_with_the_source_model(transcribed):
    from faster_whisper import WhisperModel

    from whisper_live.models import resolve_model

    source = WhisperModel(resolve_model("tiny.en"), device="cpu", compute_type="int8", cpu_threads=1)
    ov_texts, source_texts = [], []
    for audio, _, result in transcribed[:6]:
        ov_texts.append("".join(s.text for s in result.segments))
        segments, _ = source.transcribe(audio, beam_size=1, language="en", condition_on_previous_text=False)
        source_texts.append("".join(s.text for s in segments))
    # measured: 0.0 on the first six LibriSpeech clips (identical transcripts after normalisation)
    assert corpus_wer(source_texts, ov_texts) <= 0.05, list(zip(source_texts, ov_texts))


def test_word_timestamps_fall_inside_their_segments(tiny_en_transcriber):
    from tests.conftest import audioeval_clip

    path, reference = audioeval_clip("en", "quick_brown_fox")
    audio = _load(path)
    result = tiny_en_transcriber.transcribe_batch([Request(audio=audio, language="en", word_timestamps=True)])[0]
    words = [w for s in result.segments for w in s.words]
    assert normalize("".join(w.word for w in words)) == normalize(reference)
    for segment in result.segments:
        for word in segment.words:
            assert segment.start - 0.05 <= word.start <= word.end <= segment.end + 0.05
    starts = [w.start for w in words]
    assert starts == sorted(starts) and starts[-1] > 1.0  # spread over the clip, not all at 0


def test_two_threads_at_once_each_get_their_transcript(tiny_en_transcriber):
    from tests.conftest import audioeval_clip

    clips = [audioeval_clip("en", name) for name in ("quick_brown_fox", "hello_world")]
    outputs = {}

    def run(index):
        path, _ = clips[index]
        for repeat in range(3):
            result = tiny_en_transcriber.transcribe_batch([Request(audio=_load(path), language="en")])[0]
            outputs.setdefault(index, []).append("".join(s.text for s in result.segments))

    threads = [threading.Thread(target=run, args=(i,)) for i in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    for index, (_, reference) in enumerate(clips):
        assert len(outputs[index]) == 3
        for text in outputs[index]:
            assert wer(reference, text) <= 0.2, text


def test_multilingual_base_detects_language_and_translates(ov_base):
    from whisper_live.transcriber.openvino_backend import OpenVINOTranscriber

    clip = SHARED_AUDIO / "multi" / "fr_picovoice_leopard.flac"
    if not clip.exists():
        pytest.skip("../shared/audio is not present beside this checkout")
    transcriber = OpenVINOTranscriber(str(ov_base), cpu_threads=1)
    assert transcriber.multilingual
    audio = _load(clip)
    detected = transcriber.transcribe_batch([Request(audio=audio)])[0]
    # measured: fr 0.997
    assert detected.language == "fr" and detected.language_prob > 0.8, detected
    french = normalize("".join(s.text for s in detected.segments))
    # reference: "Sous le consulat, il devient conservateur des eaux et forêts et conseiller général."
    assert "consulat" in french and "forêts" in french, french
    english_clip = transcriber.transcribe_batch([Request(audio=_load(SHARED_AUDIO / "en/misc/jfk_inaugural_11s.flac"))])[0]
    # measured: en 0.957
    assert english_clip.language == "en" and english_clip.language_prob > 0.8, english_clip.language_prob
    translated = transcriber.transcribe_batch([Request(audio=audio, language="fr", task="translate")])[0]
    english = normalize("".join(s.text for s in translated.segments))
    # measured: "under the console it becomes a server of the zo and forel and generate"
    assert "the" in english.split() and "consulat" not in english, english
    transcriber.close()
