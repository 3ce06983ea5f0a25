"""faster-whisper (CTranslate2) backend, batched across clients, with encoder input sized to the audio.

Two things make it cheaper than calling ``WhisperModel.transcribe`` once per client:

* Encoder input sized to the audio. Whisper pads every window to 30 s, so the encoder costs the same for
  2 s of speech as for 30 s, most of a short window's model time. CTranslate2 accepts shorter mel inputs;
  a batch is encoded at the length its longest window needs by the rules of ``encoder_inputs``
  (whisper_live/transcriber/encoder_input.py: one for greedy windows, one for beam-searched finals, one
  for beam-searched finals that go on from their context); ``FULL_INPUTS`` encodes 30 s as Whisper does.
  The costs and the rules' measurements: docs/streaming.md, "Encoder input".
* Batching. Several clients' windows are encoded in one call and decoded in one ``generate`` call
  (requests whose prompts have the ``<|startoftranscript|>`` token at the same position, which
  CTranslate2 requires).

Requests ask how thoroughly to be decoded (``Request.beam_size``): the streaming
core decodes partial windows greedily, and can decode final windows as offline
Whisper does, with beam search (docs/streaming.md says what that buys). A request may also start its
transcript mid-window (``Request.decode_from``): its prompt then ends with that time's timestamp token, as
if Whisper had written it, and the model goes on from there while still hearing the audio before. With
``Request.prefix`` that timestamp is the last committed segment's start, followed by its words: the
model goes on with that segment, and only what it writes after them comes back. An answer that repeats
itself (gzip ratio above 2.4) or, when transcribing, is improbable (average log probability below -1) is
decoded again by sampling at 0.2, 0.4, 0.6 (Whisper's temperature fallback), one sample each. Translations
are sampled again only when they repeat themselves: a good translation can score below the threshold,
and a sample that writes the source language instead above it (docs/streaming.md, "Temperature
fallback"). CTranslate2 seeds each
worker thread's sampler once, from ``FALLBACK_SEED`` here, so one client's stream gives the same text from
run to run (with several clients, which worker decodes which window still varies). Every decode stops
after ``MAX_TOKENS_PER_SECOND`` tokens per second of audio.
"""

from __future__ import annotations

import math
import threading
from typing import Optional

import numpy as np

from whisper_live.protocol import SAMPLE_RATE, Word
from whisper_live.transcriber.base import RawSegment, Request, Result, Transcriber
from whisper_live.transcriber.encoder_input import MAX_INPUT_SECONDS, SIZED, EncoderInputs
from whisper_live.transcriber.fallback import FALLBACK_SEED, FALLBACK_TEMPERATURES, repeats_itself
from whisper_live.transcriber.files import FileOptions, FileSegment, FileTranscript

FULL_INPUT_SAMPLES = int(MAX_INPUT_SECONDS * SAMPLE_RATE)  # Whisper's own window
TIMESTAMP_SECONDS = 0.02  # Whisper's timestamp tokens count time in these steps,
TIMESTAMPS = 1500  # up to 30 s
LOG_PROB_THRESHOLD = -1.0
# Fast speech is about 7 tokens a second in English; Chinese or Japanese can take twice that.
MAX_TOKENS_PER_SECOND = 16
PREPEND_PUNCTUATIONS = "\"'“¿([{-"
APPEND_PUNCTUATIONS = "\"'.。,，!！?？:：”)]}、"


def _loops(tokens: list[int], tok) -> bool:
    """Whether decoded text repeats itself (Whisper's gzip-ratio test)."""
    return repeats_itself(tok.decode([t for t in tokens if t < tok.eot]))


class FasterWhisperTranscriber(Transcriber):
    backend = "faster_whisper"
    continues_mid_window = True

    def __init__(self, model_dir: str, *, model_name: str = "", device: str = "cpu",
                 compute_type: str = "default", cpu_threads: int = 1, num_workers: int = 1,
                 max_batch_size: int = 8, encoder_inputs: EncoderInputs = SIZED):
        import ctranslate2
        from faster_whisper import WhisperModel

        ctranslate2.set_random_seed(FALLBACK_SEED)  # before the model's threads first sample
        if compute_type == "default":
            compute_type = "int8" if device == "cpu" else "float16"
        self.model = WhisperModel(model_dir, device=device, compute_type=compute_type,
                                  cpu_threads=cpu_threads, num_workers=num_workers)
        self.model_name = model_name or model_dir
        self.compute_type = compute_type
        self.multilingual = self.model.model.is_multilingual
        self.max_batch_size = max_batch_size
        self.max_concurrency = num_workers
        self.encoder_inputs = encoder_inputs
        self._tokenizers: dict = {}
        self._tokenizer_lock = threading.Lock()
        self._timestamp_begin = self.model.hf_tokenizer.token_to_id("<|notimestamps|>") + 1

    # --- helpers -------------------------------------------------------------------------------------------

    def _tokenizer(self, task: str, language: Optional[str]):
        from faster_whisper.tokenizer import Tokenizer

        if not self.multilingual:
            task, language = "transcribe", "en"
        key = (task, language)
        with self._tokenizer_lock:
            if key not in self._tokenizers:
                self._tokenizers[key] = Tokenizer(self.model.hf_tokenizer, self.multilingual,
                                                  task=task, language=language)
            return self._tokenizers[key]

    def _features(self, audio: np.ndarray, total_samples: int) -> np.ndarray:
        padded = np.zeros(total_samples, dtype=np.float32)
        padded[: len(audio)] = audio
        features = self.model.feature_extractor(padded)
        frames = min(3000, (total_samples // self.model.feature_extractor.hop_length) // 2 * 2)
        return features[:, :frames]

    def padded_seconds(self, seconds: float, final: bool = False) -> float:
        # (the scheduler does not know a final's beam size: finals are costed as beam-searched ones)
        return self.encoder_inputs.rule(5 if final else 1).seconds(seconds)

    def _encode(self, features: np.ndarray):
        import ctranslate2

        return self.model.model.encode(ctranslate2.StorageView.from_array(np.ascontiguousarray(features)),
                                       to_cpu=False)

    # --- the interface ---------------------------------------------------------------------------------------

    def transcribe_batch(self, requests: list[Request]) -> list[Result]:
        if not requests:
            return []
        # Each window keeps its rule's margin of silence (audio past that is left out), and the batch is
        # encoded at the length its longest window needs.
        rules = [self.encoder_inputs.rule(r.beam_size, continued=r.decode_from > 0) for r in requests]
        audios = [np.asarray(r.audio, dtype=np.float32)[:int(rule.longest_audio * SAMPLE_RATE)]
                  for r, rule in zip(requests, rules)]
        total = int(max(rule.seconds(len(a) / SAMPLE_RATE) for rule, a in zip(rules, audios)) * SAMPLE_RATE)
        features = np.stack([self._features(a, total) for a in audios])
        encoder_output = self._encode(features)
        encoded = np.asarray(encoder_output)  # (batch, frames/2, width), for slicing single items

        results = [Result() for _ in requests]
        languages: list[Optional[str]] = []
        undetected = [i for i, r in enumerate(requests) if r.language is None and self.multilingual]
        if undetected:
            detected = self.model.model.detect_language(
                self._storage(encoded[undetected]) if len(undetected) < len(requests) else encoder_output)
            for i, candidates in zip(undetected, detected):
                token, prob = candidates[0]
                results[i].language, results[i].language_prob = token[2:-2], float(prob)
        for i, r in enumerate(requests):
            languages.append(r.language if r.language else (results[i].language or "en"))

        prompts = []
        tokenizers = []
        prefixes = []  # per request, the tokens its answer is given to start with (returned with it)
        for r, lang in zip(requests, languages):
            tok = self._tokenizer(r.task, lang)
            before, prefix = _prompt_and_prefix(r)
            previous = tok.encode(" " + before) if before else []
            prompt = self.model.get_prompt(tok, previous, hotwords=r.hotwords)
            if r.decode_from > 0:
                # Whisper's own way to say where the text starts: its first timestamp token, given here
                # (with the words already said from there on, when the request gives them).
                prompt.append(tok.timestamp_begin + min(TIMESTAMPS, round(
                    (r.prefix.start if prefix else r.decode_from) / TIMESTAMP_SECONDS)))
            prefixes.append(tok.encode(" " + prefix) if prefix else [])  # (only with decode_from)
            prompt.extend(prefixes[-1])
            prompts.append(prompt)
            tokenizers.append(tok)

        # CTranslate2 wants <|startoftranscript|> at the same index in every prompt of a batch, as many task
        # tokens after it, and one beam size for a whole generate call. Prompts that go on with a prefix of
        # another length could share a call too; they are decoded apart since, on a CPU, one call for
        # several beam-searched finals saves nothing (docs/streaming.md, "Encoder input").
        groups: dict[tuple[int, int, int], list[int]] = {}
        for i, (prompt, tok) in enumerate(zip(prompts, tokenizers)):
            sot = prompt.index(tok.sot)
            groups.setdefault((sot, len(prompt) - sot, max(1, requests[i].beam_size)), []).append(i)
        for (_, _, beam_size), members in groups.items():
            storage = encoder_output if len(members) == len(requests) else self._storage(encoded[members])
            seconds = max(len(audios[i]) for i in members) / SAMPLE_RATE
            outputs = self._generate(storage, [prompts[i] for i in members], seconds, beam_size=beam_size,
                                     return_no_speech_prob=True)
            for i, out in zip(members, outputs):
                tokens, avg_logprob = _tokens_and_logprob(out)
                tok = tokenizers[i]
                improbable = avg_logprob < LOG_PROB_THRESHOLD and self._judged_by_probability(requests[i].task)
                if improbable or _loops(tokens, tok):
                    tokens, avg_logprob = self._fallback(encoded[i], prompts[i], tok, (tokens, avg_logprob),
                                                         len(audios[i]) / SAMPLE_RATE)
                    if _loops(tokens, tok) and total < FULL_INPUT_SAMPLES:
                        # Still a repetition loop: the short window is what Whisper tripped on. Decode it
                        # once more the standard way, padded to 30 s.
                        tokens, avg_logprob = self._decode_padded(audios[i], prompts[i], beam_size)
                results[i].segments = self._segments(requests[i], tokens, tok, avg_logprob, out.no_speech_prob,
                                                     len(audios[i]), encoded[i], prefixes[i])
        return results

    def transcribe_file(self, audio: np.ndarray, options: FileOptions) -> FileTranscript:
        """faster-whisper's own ``WhisperModel.transcribe``: it computes the features (and detects the
        language) now, and its segments are a generator that decodes one 30 s window per step, beam search
        conditioned on the text before it; each step runs on one of the model's ``num_workers``. As for live
        windows, a translation is sampled again only when it repeats itself, not for its low probability."""
        segments, info = self.model.transcribe(
            audio, language=options.language if self.multilingual else "en", task=options.task,
            beam_size=options.beam_size, temperature=list(options.temperatures),
            initial_prompt=options.initial_prompt or None, hotwords=options.hotwords or None,
            word_timestamps=options.word_timestamps, condition_on_previous_text=True,
            log_prob_threshold=LOG_PROB_THRESHOLD if self._judged_by_probability(options.task) else None)
        return FileTranscript(language=info.language, language_prob=float(info.language_probability),
                              duration=float(info.duration), segments=_file_segments(segments))

    def _judged_by_probability(self, task: str) -> bool:
        """Whether an answer for ``task`` is decoded again for its low probability (a translation is not: its
        good English scores low, docs/streaming.md "Temperature fallback"; an English-only model transcribes)."""
        return task != "translate" or not self.multilingual

    def decode_fixed(self, audio: np.ndarray, beam_size: int, tokens: int, continued: bool = False) -> None:
        """Encode ``audio`` as a window of ``beam_size`` is encoded and decode exactly ``tokens`` tokens (the
        end of text suppressed): a fixed amount of work whatever the audio says, to time (compute_types.py)."""
        rule = self.encoder_inputs.rule(beam_size, continued=continued)
        features = self._features(audio, int(rule.seconds(len(audio) / SAMPLE_RATE) * SAMPLE_RATE))
        tok = self._tokenizer("transcribe", "en")
        prompt = self.model.get_prompt(tok, [])
        self.model.model.generate(self._encode(features[None]), [prompt], beam_size=beam_size,
                                  max_length=len(prompt) + tokens, suppress_tokens=[-1, tok.eot])

    def _decode_padded(self, audio: np.ndarray, prompt: list[int], beam_size: int) -> tuple[list[int], float]:
        features = self._features(audio, FULL_INPUT_SAMPLES)
        out = self._generate(self._encode(features[None]), [prompt], len(audio) / SAMPLE_RATE,
                             beam_size=beam_size)[0]
        return _tokens_and_logprob(out)

    def _generate(self, storage, prompts: list[list[int]], seconds: float, beam_size: int = 1, **options):
        """Greedy (or beam) decoding with Whisper's usual suppressions; ``options`` adds sampling or no-speech
        output.

        The answer may hold at most MAX_TOKENS_PER_SECOND tokens per second of audio (plus a few): a
        repetition loop then stops there instead of running to 448 tokens, which, repeated by the
        fallback, held a worker for seconds.

        A prompt that ends with a timestamp (``Request.decode_from``) says where the answer starts, and no
        timestamp of the answer may lie before it: CTranslate2 does not hold the answer's timestamps to
        the prompt's: a continued final could close its text long before its start, and be refused and
        decoded again.
        """
        budget = int(MAX_TOKENS_PER_SECOND * seconds) + 16
        max_length = min(self.model.max_length, max(len(p) for p in prompts) + budget)
        first = self._timestamp_begin
        earliest = min(max((t for t in p if t >= first), default=first) for p in prompts)
        return self.model.model.generate(
            storage, prompts, beam_size=beam_size, max_length=max_length, return_scores=True,
            suppress_blank=True, suppress_tokens=[-1] + list(range(first, earliest)),
            max_initial_timestamp_index=50 + earliest - first, **options)

    def _storage(self, array: np.ndarray):
        import ctranslate2

        return ctranslate2.StorageView.from_array(np.ascontiguousarray(array))

    def _fallback(self, encoded: np.ndarray, prompt: list[int], tok, first: tuple[list[int], float],
                  seconds: float):
        """Decode one request again with rising temperature until the text neither repeats itself nor is
        improbable; else keep the most probable answer that does not repeat itself.

        One sample per temperature: beam search first and the best of 5 samples (offline Whisper's way)
        cost up to 20 greedy decodes, and under full load held the workers for seconds without changing the
        WER (docs/streaming.md, "Temperature fallback").
        """
        best_tokens, best_logprob = first
        if _loops(best_tokens, tok):
            best_logprob = -math.inf
        storage = self._storage(encoded[None])
        for temperature in FALLBACK_TEMPERATURES:
            out = self._generate(storage, [prompt], seconds, sampling_topk=0, sampling_temperature=temperature)[0]
            tokens, avg_logprob = _tokens_and_logprob(out)
            if _loops(tokens, tok):
                continue
            if avg_logprob >= LOG_PROB_THRESHOLD:
                return tokens, avg_logprob
            if avg_logprob > best_logprob:
                best_tokens, best_logprob = tokens, avg_logprob
        return best_tokens, best_logprob

    def _segments(self, request: Request, tokens: list[int], tok, avg_logprob: float, no_speech_prob: float,
                  num_samples: int, encoded: np.ndarray, prefix: list[int]) -> list[RawSegment]:
        # Whisper's rule: a window is silence when the model says so and is unsure of its text.
        if no_speech_prob > request.no_speech_thresh and avg_logprob < LOG_PROB_THRESHOLD:
            return []
        duration = num_samples / SAMPLE_RATE
        pieces = split_by_timestamps(tokens, tok.timestamp_begin, tok.eot, duration)
        if prefix:
            pieces = _without_prefix(pieces, prefix, request.decode_from, tok)
        segments = []
        for start, end, piece in pieces:
            text = tok.decode(piece)
            if not text.strip():
                continue
            segments.append(RawSegment(start=start, end=end, text=text, no_speech_prob=no_speech_prob,
                                       avg_logprob=avg_logprob, tokens=piece))
        if request.word_timestamps and segments:
            self._add_words(segments, tok, encoded, num_samples, request.decode_from)
        return segments

    def _add_words(self, segments: list[RawSegment], tok, encoded: np.ndarray, num_samples: int,
                   decode_from: float = 0.0) -> None:
        # Text decoded from ``decode_from`` is aligned with the encoder's frames from there on (the words of
        # the context before it are not in the text); ``seek`` puts the word times back on the window's clock.
        hop = self.model.feature_extractor.hop_length
        seek = int(round(decode_from * SAMPLE_RATE / hop)) // 2 * 2  # in mel frames, two to an encoder frame
        subsegments = [{"start": s.start, "end": s.end, "tokens": s.tokens, "seek": seek} for s in segments]
        num_frames = num_samples // hop - seek
        self.model.add_word_timestamps([subsegments], tok, self._storage(encoded[None, seek // 2:]), num_frames,
                                       PREPEND_PUNCTUATIONS, APPEND_PUNCTUATIONS, 0.0)
        for segment, sub in zip(segments, subsegments):
            segment.words = [Word(w["start"], w["end"], w["word"], w["probability"]) for w in sub.get("words", [])]
            if segment.words:
                # faster-whisper moves a segment's ends to its words' (its timestamp tokens are coarser), or
                # a word's end to the segment's where they disagree by more than 0.5 s: words stay inside
                segment.start, segment.end = sub["start"], sub["end"]


def _file_segments(segments):
    """faster-whisper's segments as :class:`FileSegment` (lazily, one as each is asked for)."""
    for s in segments:
        words = [Word(w.start, w.end, w.word, w.probability) for w in s.words] if s.words else None
        yield FileSegment(id=s.id, seek=s.seek, start=s.start, end=s.end, text=s.text, tokens=list(s.tokens),
                          temperature=s.temperature or 0.0, avg_logprob=s.avg_logprob,
                          compression_ratio=s.compression_ratio, no_speech_prob=s.no_speech_prob, words=words)


def _prompt_and_prefix(request: Request) -> tuple[str, str]:
    """(prompt text, text the answer starts with) of ``request``: the answer starts with its ``prefix``
    (only with ``decode_from``), less the full stop that ended the window it came from."""
    prompt = (request.initial_prompt or "").strip()
    given = " ".join(request.prefix.text.split()) if request.prefix and request.decode_from > 0 else ""
    prefix = given[:-1] if given.endswith(".") and not given.endswith("..") else given
    return prompt, prefix


def _without_prefix(pieces: list, prefix: list[int], decode_from: float, tok) -> list:
    """``pieces`` less the ``prefix`` tokens the first one starts with (given in the prompt, and returned
    with the answer), and less any punctuation the model put right after them.

    The words that end the prefix's segment join the next segment rather than arrive as a fragment of
    their own ("... concerned" / "differs from most" / "if not from all the arts ..."), as
    whisper_live/streaming/final_context.py joins them when it splits an answer.
    """
    if not pieces:
        return pieces
    start, end, text = pieces[0]
    if text[:len(prefix)] != prefix:
        return pieces
    rest = text[len(prefix):]
    while rest and not tok.decode([rest[0]]).strip(" .,;:!?"):
        rest = rest[1:]
    if not rest:
        return pieces[1:]
    if len(pieces) > 1:
        return [(max(start, decode_from), pieces[1][1], rest + pieces[1][2])] + pieces[2:]
    return [(max(start, decode_from), end, rest)]


def _tokens_and_logprob(out) -> tuple[list[int], float]:
    """The tokens of a generation result and their average log probability."""
    tokens = out.sequences_ids[0]
    return tokens, out.scores[0] * len(tokens) / (len(tokens) + 1)


def split_by_timestamps(tokens: list[int], timestamp_begin: int, eot: int,
                        duration: float) -> list[tuple[float, float, list[int]]]:
    """Cut a decoded token sequence into (start, end, text tokens) at Whisper's timestamp tokens.

    Timestamps come as ``<|t0|> text <|t1|><|t1|> text <|t2|>``: a timestamp after text closes a segment,
    a timestamp with no text before it opens one. Text with no closing timestamp runs to ``duration``.
    Times are clamped into [0, duration].
    """
    pieces: list[tuple[float, float, list[int]]] = []
    start: Optional[float] = None
    text: list[int] = []
    for token in tokens:
        if token >= timestamp_begin:
            time = min(duration, (token - timestamp_begin) * 0.02)
            if text:
                begin = start if start is not None else (pieces[-1][1] if pieces else 0.0)
                pieces.append((min(begin, time), time, text))
                text, start = [], None
            else:
                start = time
        elif token < eot:
            text.append(token)
    if text:
        begin = start if start is not None else (pieces[-1][1] if pieces else 0.0)
        pieces.append((min(begin, duration), duration, text))
    return pieces
