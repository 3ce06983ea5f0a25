"""The OpenVINO backend with a fake ``openvino_genai`` (no OpenVINO needed): the generation config each
request gets, the pool (never two generate() calls on one pipeline at once), segments/words, and the
install message. The real model is tested in tests/integration/test_openvino_model.py.
"""

from __future__ import annotations

import json
import sys
import threading
import time
import types

import numpy as np
import pytest

from whisper_live.transcriber.base import BackendUnavailable, Request

# --- a fake openvino_genai ----------------------------------------------------------------------------------------


class _Config:
    def __init__(self):
        self.return_timestamps = False
        self.word_timestamps = False
        self.max_new_tokens = 0
        self.language = None
        self.task = None
        self.initial_prompt = None
        self.hotwords = None
        self.do_sample = False
        self.temperature = 1.0
        self.rng_seed = 0


class _Chunk:
    def __init__(self, start, end, text):
        self.start_ts, self.end_ts, self.text = start, end, text


class _WordTiming:
    def __init__(self, start, end, word):
        self.start_ts, self.end_ts, self.word = start, end, word


class _FakePipeline:
    instances: list = []
    script = None  # callable(audio, config) -> (texts, chunks, words, language)
    active = 0  # generate() calls running now, over all pipelines
    most_active = 0
    lock = threading.Lock()

    def __init__(self, path, device, **properties):
        self.path, self.device, self.properties = path, device, properties
        self.configs = []
        self.busy = False
        self.overlaps = 0
        _FakePipeline.instances.append(self)

    def get_generation_config(self):
        return _Config()

    def generate(self, audio, config):
        if self.busy:
            self.overlaps += 1
            raise RuntimeError("Infer Request is busy")
        self.busy = True
        with _FakePipeline.lock:
            _FakePipeline.active += 1
            _FakePipeline.most_active = max(_FakePipeline.most_active, _FakePipeline.active)
        try:
            if config.word_timestamps and not self.properties.get("word_timestamps"):
                raise RuntimeError("word timestamps need a pipeline built with word_timestamps=True")
            self.configs.append(config)
            time.sleep(0.02)
            texts, chunks, words, language = _FakePipeline.script(audio, config)
            return types.SimpleNamespace(texts=texts, chunks=chunks, words=words, language=language)
        finally:
            with _FakePipeline.lock:
                _FakePipeline.active -= 1
            self.busy = False


@pytest.fixture
def fake_genai(monkeypatch, tmp_path):
    module = types.ModuleType("openvino_genai")
    module.WhisperPipeline = _FakePipeline
    monkeypatch.setitem(sys.modules, "openvino_genai", module)
    _FakePipeline.instances = []
    _FakePipeline.active = _FakePipeline.most_active = 0
    _FakePipeline.script = lambda audio, config: (
        [" Hello there. General Kenobi."],
        [_Chunk(0.0, 1.0, " Hello there."), _Chunk(1.0, -1.0, " General Kenobi.")],
        [_WordTiming(0.0, 0.4, " Hello"), _WordTiming(0.4, 0.9, " there."),
         _WordTiming(1.1, 1.5, " General"), _WordTiming(1.5, 9.0, " Kenobi.")],
        "<|de|>",
    )

    def model_dir(multilingual=True):
        path = tmp_path / ("multi" if multilingual else "en")
        path.mkdir(exist_ok=True)
        for name in ("openvino_encoder_model.xml", "openvino_decoder_model.xml", "openvino_detokenizer.xml"):
            (path / name).write_text("")
        config = {"is_multilingual": multilingual, "lang_to_id": {"<|en|>": 1, "<|de|>": 2}}
        (path / "generation_config.json").write_text(json.dumps(config))
        return str(path)

    return model_dir


def test_config_carries_language_task_prompt_hotwords_and_words(fake_genai):
    from whisper_live.transcriber.openvino_backend import OpenVINOTranscriber

    t = OpenVINOTranscriber(fake_genai(), cpu_threads=3, num_workers=1)
    assert t.backend == "openvino" and t.multilingual and t.max_concurrency == 1
    assert [p.properties for p in _FakePipeline.instances] == [{"INFERENCE_NUM_THREADS": 3}]
    audio = np.zeros(16000 * 2, np.float32)
    detected = t.transcribe_batch([Request(audio=audio)])[0]
    given = t.transcribe_batch([Request(audio=audio, language="en", task="translate", initial_prompt="Obi-Wan",
                                        hotwords="Kenobi", word_timestamps=True)])[0]
    # the first request asking for words gets a pipeline built for them
    assert [p.properties for p in _FakePipeline.instances] == [
        {"INFERENCE_NUM_THREADS": 3}, {"INFERENCE_NUM_THREADS": 3, "word_timestamps": True}]
    (first,), (second,) = (p.configs for p in _FakePipeline.instances)
    assert first.language is None and first.task == "transcribe" and first.return_timestamps
    assert not first.word_timestamps and first.initial_prompt is None
    assert second.language == "<|en|>" and second.task == "translate" and second.word_timestamps
    assert second.initial_prompt == "Obi-Wan" and second.hotwords == "Kenobi"
    # without a usable detector (these model files are empty) the pipeline's detection is used, with no
    # probability; a given language is not echoed
    assert detected.language == "de" and detected.language_prob is None
    assert given.language is None
    with pytest.raises(ValueError, match="xx"):
        t.transcribe_batch([Request(audio=audio, language="xx")])


def test_detected_language_and_probability_are_passed_to_the_pipeline(fake_genai, monkeypatch):
    from whisper_live.transcriber import openvino_backend

    calls = []

    class FakeDetector:
        def __init__(self, model_dir, gen_config, threads, device):
            calls.append(threads)

        def detect(self, audio):
            return "fr", 0.875

    monkeypatch.setattr(openvino_backend, "_LanguageDetector", FakeDetector)
    t = openvino_backend.OpenVINOTranscriber(fake_genai(), cpu_threads=2)
    audio = np.zeros(16000, np.float32)
    detected = t.transcribe_batch([Request(audio=audio)])[0]
    t.transcribe_batch([Request(audio=audio)])
    given = t.transcribe_batch([Request(audio=audio, language="de")])[0]
    configs = _FakePipeline.instances[0].configs
    assert [c.language for c in configs] == ["<|fr|>", "<|fr|>", "<|de|>"]
    assert (detected.language, detected.language_prob) == ("fr", 0.875)
    assert given.language is None and calls == [2]  # built once, lazily


def test_segments_are_clamped_and_words_go_to_their_segment(fake_genai):
    from whisper_live.transcriber.openvino_backend import OpenVINOTranscriber

    t = OpenVINOTranscriber(fake_genai())
    result = t.transcribe_batch([Request(audio=np.zeros(16000 * 2, np.float32), word_timestamps=True)])[0]
    assert [w.word for w in result.segments[0].words] == [" Hello", " there."]
    assert [w.word for w in result.segments[1].words] == [" General", " Kenobi."]
    assert result.segments[1].words[-1].end == 2.0  # clamped to the audio
    # with words, a segment spans its words (the chunks said 0-1 s and 1 s to the end)
    assert [(s.start, s.end, s.text) for s in result.segments] == [
        (0.0, 0.9, " Hello there."), (1.1, 2.0, " General Kenobi.")]
    plain = t.transcribe_batch([Request(audio=np.zeros(16000 * 2, np.float32))])[0]
    assert [(s.start, s.end, s.text) for s in plain.segments] == [
        (0.0, 1.0, " Hello there."), (1.0, 2.0, " General Kenobi.")]  # an open end (-1) ends with the audio
    assert all(s.words is None for s in plain.segments)


def test_a_request_decoded_from_mid_window_hears_only_the_audio_from_there(fake_genai):
    from whisper_live.transcriber.openvino_backend import OpenVINOTranscriber

    heard = []
    script = _FakePipeline.script
    _FakePipeline.script = lambda audio, config: heard.append((len(audio), config.initial_prompt)) or \
        script(audio, config)
    t = OpenVINOTranscriber(fake_genai())
    audio = np.zeros(16000 * 5, np.float32)
    result = t.transcribe_batch([Request(audio=audio, initial_prompt="What came before.", decode_from=3.0,
                                         word_timestamps=True)])[0]
    assert heard == [(16000 * 2, "What came before.")]
    # times on the request's clock: 3 s later than the pipeline's
    assert [(s.start, s.end) for s in result.segments] == [(3.0, 3.9), (4.1, 5.0)]
    assert [(w.start, w.end) for w in result.segments[0].words] == [(3.0, 3.4), (3.4, 3.9)]


def test_english_only_model_sets_no_language_or_task(fake_genai):
    from whisper_live.transcriber.openvino_backend import OpenVINOTranscriber

    t = OpenVINOTranscriber(fake_genai(multilingual=False))
    result = t.transcribe_batch([Request(audio=np.zeros(16000, np.float32), language="en", task="translate")])[0]
    config = _FakePipeline.instances[0].configs[0]
    assert config.language is None and config.task is None  # the pipeline refuses both for .en models
    assert result.language is None and not t.multilingual


def test_too_short_audio_gives_an_empty_result_without_calling_the_model(fake_genai):
    from whisper_live.transcriber.openvino_backend import OpenVINOTranscriber

    t = OpenVINOTranscriber(fake_genai())
    assert t.transcribe_batch([Request(audio=np.zeros(100, np.float32))])[0].segments == []
    assert _FakePipeline.instances[0].configs == []


def test_repetition_loop_is_decoded_again_with_sampling(fake_genai):
    from whisper_live.transcriber.openvino_backend import OpenVINOTranscriber

    def script(audio, config):
        text = " I see. I see." if config.do_sample else " I see." * 40
        return [text], [_Chunk(0.0, 1.0, text)], [], "<|en|>"

    _FakePipeline.script = script
    t = OpenVINOTranscriber(fake_genai())
    result = t.transcribe_batch([Request(audio=np.zeros(16000, np.float32), language="en")])[0]
    assert result.segments[0].text == " I see. I see."
    configs = _FakePipeline.instances[0].configs
    assert len(configs) == 2 and configs[1].do_sample and configs[1].temperature == 0.2


@pytest.mark.parametrize("workers", [1, 2])
def test_concurrent_calls_never_share_a_pipeline(fake_genai, workers):
    from whisper_live.transcriber.openvino_backend import OpenVINOTranscriber

    t = OpenVINOTranscriber(fake_genai(), num_workers=workers)
    assert len(_FakePipeline.instances) == workers and t.max_concurrency == workers
    errors = []

    def client(words):
        try:
            for _ in range(5):
                t.transcribe_batch([Request(audio=np.zeros(16000, np.float32), word_timestamps=words)])
        except Exception as exc:  # pragma: no cover - the failure being tested for
            errors.append(exc)

    threads = [threading.Thread(target=client, args=(k % 2 == 1,)) for k in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors
    assert sum(p.overlaps for p in _FakePipeline.instances) == 0
    assert sum(len(p.configs) for p in _FakePipeline.instances) == 20
    assert _FakePipeline.most_active <= workers, "never more calls at once than num_workers"
    plain = [p for p in _FakePipeline.instances if not p.properties.get("word_timestamps")]
    words = [p for p in _FakePipeline.instances if p.properties.get("word_timestamps")]
    assert len(plain) == workers and 1 <= len(words) <= workers
    if workers == 2:
        assert _FakePipeline.most_active == 2 and all(p.configs for p in plain), "both pipelines are used"


def test_missing_openvino_names_the_pinned_packages(monkeypatch, tmp_path):
    monkeypatch.setitem(sys.modules, "openvino_genai", None)  # import fails
    from whisper_live.transcriber.openvino_backend import OpenVINOTranscriber

    with pytest.raises(BackendUnavailable) as info:
        OpenVINOTranscriber(str(tmp_path))
    message = str(info.value)
    for pin in ("openvino==2026.4.1", "openvino-genai==2026.4.1.0", "openvino-tokenizers==2026.4.1.0"):
        assert pin in message


def test_missing_or_wrong_model_dir_says_how_to_get_a_model(fake_genai, tmp_path):
    from whisper_live.transcriber.openvino_backend import MISSING_MODEL_HELP, OpenVINOTranscriber

    assert "python -m whisper_live.convert openvino" in MISSING_MODEL_HELP
    assert "--openvino_model_path" in MISSING_MODEL_HELP and "hub" in MISSING_MODEL_HELP
    with pytest.raises(FileNotFoundError, match="does not exist"):
        OpenVINOTranscriber(str(tmp_path / "nowhere"))
    ct2 = tmp_path / "ct2"
    ct2.mkdir()
    (ct2 / "model.bin").write_bytes(b"")
    with pytest.raises(FileNotFoundError, match="CTranslate2 model"):
        OpenVINOTranscriber(str(ct2))
