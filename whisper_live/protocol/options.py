"""The first message of a session: :class:`ClientOptions` (with :class:`VadParameters`), read with the checks
of each value and written back as JSON."""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from typing import Any, Optional

from whisper_live.protocol.audio_frames import SAMPLE_RATE, WIRE_FORMATS, parse_sample_rate
from whisper_live.protocol.errors import ProtocolError

TASKS = ("transcribe", "translate")

@dataclass
class VadParameters:
    """The subset of Silero VAD parameters a client may set (names as faster-whisper's VadOptions)."""

    threshold: float = 0.5
    min_silence_duration_ms: int = 500
    speech_pad_ms: int = 200

    @classmethod
    def from_wire(cls, value: Any) -> "VadParameters":
        if value is None:
            return cls()
        if not isinstance(value, dict):
            raise ProtocolError("vad_parameters must be a JSON object")
        params = cls()
        # WhisperLive's client calls the threshold "onset"; faster-whisper calls it "threshold".
        threshold = value.get("threshold", value.get("onset"))
        if threshold is not None:
            params.threshold = _number(threshold, "vad_parameters.threshold", 0.0, 1.0)
        if "min_silence_duration_ms" in value:
            params.min_silence_duration_ms = int(
                _number(value["min_silence_duration_ms"], "vad_parameters.min_silence_duration_ms", 0, 10000)
            )
        if "speech_pad_ms" in value:
            params.speech_pad_ms = int(_number(value["speech_pad_ms"], "vad_parameters.speech_pad_ms", 0, 2000))
        return params


@dataclass
class ClientOptions:
    """The first message of a session. Unknown keys are ignored, as WhisperLive does."""

    uid: str = ""
    language: Optional[str] = None
    task: str = "transcribe"
    model: Optional[str] = None
    use_vad: bool = True
    send_last_n_segments: int = 10
    no_speech_thresh: float = 0.45
    clip_audio: bool = False  # accepted and ignored (docs/protocol.md)
    same_output_threshold: int = 10
    initial_prompt: Optional[str] = None
    hotwords: Optional[str] = None
    word_timestamps: bool = False
    audio_format: str = "float32"
    sample_rate: int = SAMPLE_RATE
    vad_parameters: VadParameters = field(default_factory=VadParameters)
    # Reconnecting after a dropped connection: reattach the session ``uid`` that has this token.
    resume: bool = False
    resume_token: Optional[str] = None
    # WhisperLive options this server does not offer; a client that asks gets a WARNING (whisper_live/fit.py).
    enable_translation: bool = False  # translated segments into target_language
    target_language: Optional[str] = None
    # Speaker labels (also asked for by sending known_speakers or speaker_names); a WARNING where the server
    # runs --diarization off. max_speakers / diarization_threshold as WhisperLive's (diarization/clustering.py).
    enable_diarization: bool = False
    max_speakers: Optional[int] = None
    diarization_threshold: Optional[float] = None
    speaker_names: list[str] = field(default_factory=list)  # labels in order of appearance
    # Publishing into a room that readers follow (whisper_live/rooms/options.py); no room: as without rooms.
    room: Optional[str] = None
    speaker_name: str = ""
    room_public: bool = False

    @classmethod
    def from_message(cls, message: Any) -> "ClientOptions":
        """Parse the first frame; raises :class:`ProtocolError` with a reason a person can act on."""
        if isinstance(message, (bytes, bytearray, memoryview)):
            raise ProtocolError("the first message must be a JSON text frame with the session options, not audio")
        try:
            data = json.loads(message)
        except (TypeError, ValueError) as exc:
            raise ProtocolError(f"the first message is not valid JSON: {exc}") from None
        if not isinstance(data, dict):
            raise ProtocolError("the first message must be a JSON object of options")
        opts = cls()
        opts.uid = str(data.get("uid") or "")
        language = data.get("language")
        if language is not None and not isinstance(language, str):
            raise ProtocolError("language must be a string such as 'en', or null to detect it")
        opts.language = language or None
        task = data.get("task") or "transcribe"
        if task not in TASKS:
            raise ProtocolError(f"task must be one of {', '.join(TASKS)}, not {task!r}")
        opts.task = task
        model = data.get("model")
        if model is not None and not isinstance(model, str):
            raise ProtocolError("model must be a string")
        opts.model = model or None
        opts.use_vad = bool(data.get("use_vad", True))
        opts.send_last_n_segments = int(_number(data.get("send_last_n_segments", 10), "send_last_n_segments", 1, 1000))
        opts.no_speech_thresh = _number(data.get("no_speech_thresh", 0.45), "no_speech_thresh", 0.0, 1.0)
        opts.clip_audio = bool(data.get("clip_audio", False))
        opts.same_output_threshold = int(
            _number(data.get("same_output_threshold", 10), "same_output_threshold", 1, 1000)
        )
        for key in ("initial_prompt", "hotwords"):
            value = data.get(key)
            if value is not None and not isinstance(value, str):
                raise ProtocolError(f"{key} must be a string")
            setattr(opts, key, value or None)
        opts.word_timestamps = bool(data.get("word_timestamps", False))
        audio_format = data.get("audio_format") or "float32"
        if audio_format not in WIRE_FORMATS:
            raise ProtocolError(
                f"unknown audio_format {audio_format!r}: use one of {', '.join(WIRE_FORMATS)}"
            )
        opts.audio_format = audio_format
        opts.sample_rate = parse_sample_rate(data.get("sample_rate", SAMPLE_RATE))
        opts.vad_parameters = VadParameters.from_wire(data.get("vad_parameters"))
        opts.enable_translation = bool(data.get("enable_translation", False))
        target = data.get("target_language")
        if target is not None and not isinstance(target, str):
            raise ProtocolError("target_language must be a string such as 'fr'")
        opts.target_language = target or None
        names = data.get("speaker_names", data.get("known_speaker_names")) or []
        if not isinstance(names, list) or not all(isinstance(n, str) and n for n in names):
            raise ProtocolError("speaker_names must be a list of names (strings)")
        opts.speaker_names = names
        if data.get("max_speakers") is not None:
            opts.max_speakers = int(_number(data["max_speakers"], "max_speakers", 1, 64))
        if data.get("diarization_threshold") is not None:
            opts.diarization_threshold = _number(data["diarization_threshold"], "diarization_threshold", -1.0, 1.0)
        opts.enable_diarization = bool(data.get("enable_diarization", False)) or bool(data.get("known_speakers")) \
            or bool(names)
        opts.resume = bool(data.get("resume", False))
        token = data.get("resume_token")
        if token is not None and not isinstance(token, str):
            raise ProtocolError("resume_token must be a string")
        opts.resume_token = token or None
        if opts.resume and not (opts.uid and opts.resume_token):
            raise ProtocolError("resume needs the uid and the resume_token of the session to resume")
        from whisper_live.rooms.options import room_options
        opts.room, opts.speaker_name, opts.room_public = room_options(data, ProtocolError)
        return opts

    def to_message(self) -> str:
        """The JSON text a client sends (the inverse of :meth:`from_message`)."""
        data = {
            "uid": self.uid,
            "language": self.language,
            "task": self.task,
            "model": self.model,
            "use_vad": self.use_vad,
            "send_last_n_segments": self.send_last_n_segments,
            "no_speech_thresh": self.no_speech_thresh,
            "clip_audio": self.clip_audio,
            "same_output_threshold": self.same_output_threshold,
            "initial_prompt": self.initial_prompt,
            "hotwords": self.hotwords,
            "word_timestamps": self.word_timestamps,
            "audio_format": self.audio_format,
            **({"sample_rate": self.sample_rate} if self.sample_rate != SAMPLE_RATE else {}),
            "vad_parameters": {
                "threshold": self.vad_parameters.threshold,
                "min_silence_duration_ms": self.vad_parameters.min_silence_duration_ms,
                "speech_pad_ms": self.vad_parameters.speech_pad_ms,
            },
        }
        if self.enable_translation or self.target_language:
            data.update(enable_translation=self.enable_translation, target_language=self.target_language)
        if self.enable_diarization:
            data.update(enable_diarization=True)
            if self.max_speakers is not None:
                data.update(max_speakers=self.max_speakers)
            if self.diarization_threshold is not None:
                data.update(diarization_threshold=self.diarization_threshold)
            if self.speaker_names:
                data.update(speaker_names=list(self.speaker_names))
        if self.resume:
            data.update(resume=True, resume_token=self.resume_token)
        if self.room:
            data.update(room=self.room, speaker_name=self.speaker_name, room_public=self.room_public)
        return json.dumps(data)


def _number(value: Any, name: str, low: float, high: float) -> float:
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise ProtocolError(f"{name} must be a number, not {value!r}") from None
    if not math.isfinite(number) or not low <= number <= high:
        raise ProtocolError(f"{name} must be between {low} and {high}, not {value!r}")
    return number

