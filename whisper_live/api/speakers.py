"""Speaker labels on a file over REST: the fields that ask for them, voice references, and the request's labeler.

A request asks for speakers with ``response_format=diarized_json`` (OpenAI's), or with ``verbose_json`` and
``diarize=true`` or ``known_speaker_names[]``. ``known_speaker_names[]`` with ``known_speaker_references[]``
(short audio samples as base64 data URLs, OpenAI's fields) names voices: each reference is embedded with the
server's one speaker embedder and enrolled in the request's clustering first, so that speech in that voice
takes that name. Names beyond the references, or names without any, label the other voices in order of
appearance; the voices left get OpenAI's letters, ``A``, ``B``, ..., in order of appearance too.
``max_speakers`` and ``diarization_threshold`` work as on the WhisperLive protocol.

Labelling is :class:`whisper_live.diarization.labeler.SpeakerLabeler`'s, segment after segment as the file is
decoded, exactly as a live session labels its completed segments (a segment in which the voice changes is
split at the word where it does, so the file is transcribed with word times). The labelled segments' times
are then widened to the speech they were heard in (whisper_live/diarization/speech_spans.py), so each
segment is given back once the next one is known, and the last by :meth:`FileSpeakers.finish`.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import io
import logging
from dataclasses import dataclass, replace
from typing import Optional

import numpy as np

from whisper_live.api.errors import ApiError
from whisper_live.protocol import SAMPLE_RATE, Segment
from whisper_live.transcriber.files import FileSegment

log = logging.getLogger(__name__)

DIARIZED = "diarized_json"
SPEAKER_FORMATS = (DIARIZED, "verbose_json")  # the formats that carry speakers
NAMES, REFERENCES = "known_speaker_names[]", "known_speaker_references[]"
REFERENCE_SECONDS = (1.0, 30.0)  # a voice reference's shortest and longest length
MAX_NAME = 64  # characters
MAX_SPEAKERS = 64
TRUE, FALSE = ("true", "1", "yes", "on"), ("false", "0", "no", "off", "")


def letter_label(index: int) -> str:
    """OpenAI's labels of speakers it has no name for: A, B, ..., Z, AA, AB, ..."""
    label = ""
    index += 1
    while index:
        index, rest = divmod(index - 1, 26)
        label = chr(ord("A") + rest) + label
    return label


def _texts(form, name: str) -> list[str]:
    """The values of a list field, sent as ``name[]`` (OpenAI's clients) or ``name``."""
    values = [v for key in (f"{name}[]", name) for v in form.getlist(key)]
    if not all(isinstance(v, str) for v in values):
        raise ApiError(400, f"{name}[] must be text fields, not files", param=f"{name}[]", code="invalid_value")
    return [v.strip() for v in values if v.strip()]


def _one(form, name: str) -> Optional[str]:
    value = form.get(name)
    if value is not None and not isinstance(value, str):
        raise ApiError(400, f"{name} must be a text field, not a file", param=name, code="invalid_value")
    return value.strip() if value is not None and value.strip() else None


@dataclass
class SpeakerRequest:
    """What a request asked of speaker labels: ``param`` is the field that asked (for errors)."""

    param: str
    names: tuple[str, ...] = ()
    references: tuple[str, ...] = ()  # data URLs; the i-th is the voice of names[i]
    max_speakers: Optional[int] = None
    threshold: Optional[float] = None

    @classmethod
    def from_form(cls, form, response_format: str) -> Optional["SpeakerRequest"]:
        """The request's speaker fields, checked; None when it does not ask for speakers."""
        names, references = _texts(form, "known_speaker_names"), _texts(form, "known_speaker_references")
        diarize = (_one(form, "diarize") or "").lower()
        if diarize not in TRUE + FALSE:
            raise ApiError(400, "diarize must be true or false", param="diarize", code="invalid_value")
        asked = [param for param, yes in (("response_format", response_format == DIARIZED), (NAMES, names),
                                          (REFERENCES, references), ("diarize", diarize in TRUE)) if yes]
        if not asked:
            return None
        param = asked[0]
        if response_format not in SPEAKER_FORMATS:
            raise ApiError(400, f"speakers ({param}) come back only in response_format diarized_json or "
                                f"verbose_json, not {response_format}", param="response_format", code="invalid_value")
        if len(references) > len(names):
            raise ApiError(400, f"each of {REFERENCES} needs its name at the same place in {NAMES}",
                           param=NAMES, code="invalid_value")
        if len(set(names)) < len(names) or any(len(n) > MAX_NAME for n in names):
            raise ApiError(400, f"{NAMES} must be different names of at most {MAX_NAME} characters", param=NAMES,
                           code="invalid_value")
        request = cls(param, tuple(names), tuple(references))
        request.max_speakers = _number(form, "max_speakers", 1, MAX_SPEAKERS, int)
        request.threshold = _number(form, "diarization_threshold", -1.0, 1.0, float)
        if request.max_speakers is not None and len(references) > request.max_speakers:
            raise ApiError(400, f"{len(references)} voice references are more than max_speakers "
                                f"{request.max_speakers}", param="max_speakers", code="invalid_value")
        return request


def _number(form, name: str, low, high, kind):
    value = _one(form, name)
    if value is None:
        return None
    try:
        number = kind(value)
    except ValueError:
        number = None
    if number is None or not low <= number <= high:
        raise ApiError(400, f"{name} must be a number from {low} to {high}", param=name, code="invalid_value")
    return number


def refuse_unless_served(finding, request: SpeakerRequest) -> None:
    """The 400 (and the WARNING) for a request that asks for speakers of a server that labels none."""
    log.warning("a REST request asked for speakers (%s), which this server does not label: %s", request.param,
                finding.message)
    raise ApiError(400, finding.message, param=request.param, code=finding.code)


def reference_audio(url: str, index: int) -> np.ndarray:
    """The 16 kHz samples of the ``index``-th voice reference, a base64 data URL of any format PyAV decodes."""
    from faster_whisper.audio import decode_audio

    where = f"{REFERENCES} {index} ({url[:40]!r}...)" if len(url) > 40 else f"{REFERENCES} {index} ({url!r})"
    head, comma, data = url.partition(",")
    if not (head.lower().startswith("data:") and head.lower().endswith(";base64") and comma):
        raise ApiError(400, f"{where} is not a base64 data URL such as data:audio/wav;base64,...",
                       param=REFERENCES, code="invalid_value")
    try:
        raw = base64.b64decode("".join(data.split()), validate=True)
        audio = decode_audio(io.BytesIO(raw), sampling_rate=SAMPLE_RATE)
    except binascii.Error:
        raise ApiError(400, f"{where} is not valid base64", param=REFERENCES, code="invalid_value") from None
    except Exception as exc:  # PyAV raises many kinds for what it cannot read
        raise ApiError(400, f"{where} cannot be decoded as audio ({type(exc).__name__})", param=REFERENCES,
                       code="invalid_audio") from None
    seconds = len(audio) / SAMPLE_RATE
    low, high = REFERENCE_SECONDS
    if not low <= seconds <= high:
        raise ApiError(400, f"{where} holds {seconds:.1f} s of audio; a voice reference is {low:g} to {high:g} s",
                       param=REFERENCES, code="invalid_audio")
    return audio


class FileSpeakers:
    """One request's speaker labels over its file's ``audio``: a SpeakerLabeler with the references enrolled."""

    def __init__(self, request: SpeakerRequest, audio: np.ndarray, embedder):
        from whisper_live.diarization.clustering import DEFAULT_THRESHOLD, Speakers
        from whisper_live.diarization.labeler import SpeakerLabeler
        from whisper_live.diarization.speech_spans import SpeechSpans, speech_regions

        threshold = DEFAULT_THRESHOLD if request.threshold is None else request.threshold
        known = len(request.references)
        named = len(request.names)  # speaker numbers below this have a name: the voices left count from A
        self.labeler = SpeakerLabeler(embedder, Speakers(threshold, request.max_speakers),
                                      request.names[known:], unnamed=lambda index: letter_label(index - named))
        self.audio = audio
        self.spans = SpeechSpans(speech_regions(audio))
        for i, (name, url) in enumerate(zip(request.names, request.references)):
            self.labeler.enroll(name, reference_audio(url, i))

    @classmethod
    def for_request(cls, request: Optional[SpeakerRequest], audio: np.ndarray) -> Optional["FileSpeakers"]:
        """The labeler of a request that asked for speakers (loads the server's embedder on first use)."""
        if request is None:
            return None
        from whisper_live.diarization.live import shared_embedder

        return cls(request, audio, shared_embedder())

    def label(self, segment: FileSegment) -> list[FileSegment]:
        """The labelled segments ready once ``segment`` is known: those before it, fitted to their speech.
        ``segment`` gets its speaker, in pieces, each with its own, where the voice changes inside it (a
        piece keeps the segment's statistics, without tokens, which cannot be told apart by piece)."""
        pieces = self.labeler.label(self.audio, 0.0, [Segment(segment.start, segment.end, segment.text, True,
                                                             segment.words)])
        if len(pieces) == 1:
            pieces = [replace(segment, speaker=pieces[0].speaker)]
        else:
            pieces = [replace(segment, start=p.start, end=p.end, text=" " + p.text, words=p.words, tokens=[],
                              speaker=p.speaker) for p in pieces]
        return [ready for piece in pieces for ready in self.spans.add(piece)]

    def finish(self) -> list[FileSegment]:
        """The labelled segments still held, once the file is decoded."""
        return self.spans.finish()


async def labelled(speakers: Optional[FileSpeakers], segment: FileSegment) -> list[FileSegment]:
    """``speakers.label(segment)``, off the event loop; ``[segment]`` for a request without speakers."""
    if speakers is None:
        return [segment]
    return await asyncio.to_thread(speakers.label, segment)


def last_labelled(speakers: Optional[FileSpeakers]) -> list[FileSegment]:
    """What ``speakers`` still holds once the file is decoded (nothing for a request without speakers)."""
    return [] if speakers is None else speakers.finish()
