"""The wire protocol, in one place: the options message, the server's replies, segments and audio frames.

It speaks collabora WhisperLive's protocol so that its clients work unchanged, and both the server and
the client library of this project build and read messages only through this module. docs/protocol.md
is the prose version of the same facts.

A session on a WebSocket goes:

1. client -> server: one text frame, a JSON object of options (:class:`ClientOptions`);
2. server -> client: ``SERVER_READY``, or ``WAIT`` (server full: the estimated wait in minutes, then close),
   or ``ERROR`` (then close);
3. client -> server: binary frames of mono audio (16 kHz float32 PCM by default; ``audio_format`` and
   ``sample_rate`` choose others, G.711 mu-law and A-law and Opus included), then the bytes ``END_OF_AUDIO``;
4. server -> client: ``{"uid", "segments": [...]}`` updates, ``{"uid", "language", "language_prob"}`` once,
   ``WARNING`` / ``ERROR`` messages, and ``DISCONNECT`` when the server ends the session.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from typing import Any, Optional

import numpy as np

from whisper_live.audio import g711

SAMPLE_RATE = 16000
END_OF_AUDIO = b"END_OF_AUDIO"

# Message values used by the stock client.
SERVER_READY = "SERVER_READY"
DISCONNECT = "DISCONNECT"
STATUS_WAIT = "WAIT"
STATUS_ERROR = "ERROR"
STATUS_WARNING = "WARNING"

TASKS = ("transcribe", "translate")
AUDIO_FORMATS = {"float32": np.dtype("<f4"), "int16": np.dtype("<i2"), "uint8": np.dtype("u1"),
                 "mulaw": np.dtype("u1"), "alaw": np.dtype("u1")}  # mulaw, alaw: G.711, one byte a sample
# Compressed formats (whisper_live.audio.decoder): raw Opus packets, one per binary frame, and Opus in a WebM
# or Ogg byte stream cut into frames anywhere (MediaRecorder's slices).
COMPRESSED_FORMATS = ("opus", "webm", "ogg")
WIRE_FORMATS = (*AUDIO_FORMATS, *COMPRESSED_FORMATS)
# The rates a client may send at (``sample_rate``, Hz); the server resamples to SAMPLE_RATE.
MIN_SAMPLE_RATE, MAX_SAMPLE_RATE = 8000, 48000

# One binary frame may carry at most this much audio (seconds); larger frames are refused.
MAX_FRAME_SECONDS = 10.0


class ProtocolError(ValueError):
    """A client broke the protocol; the message is meant to be shown to that client."""


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


def parse_sample_rate(value: Any) -> int:
    """The ``sample_rate`` option: a whole number of Hz in the accepted range."""
    if isinstance(value, bool) or not isinstance(value, (int, float)) or value != int(value) \
            or not MIN_SAMPLE_RATE <= value <= MAX_SAMPLE_RATE:
        raise ProtocolError(f"sample_rate must be a whole number of Hz from {MIN_SAMPLE_RATE} to "
                            f"{MAX_SAMPLE_RATE} (e.g. 8000, 16000, 48000), not {value!r}")
    return int(value)


def _number(value: Any, name: str, low: float, high: float) -> float:
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise ProtocolError(f"{name} must be a number, not {value!r}") from None
    if not math.isfinite(number) or not low <= number <= high:
        raise ProtocolError(f"{name} must be between {low} and {high}, not {value!r}")
    return number


# --- audio frames -----------------------------------------------------------------------------------------


def decode_audio_frame(data: bytes, audio_format: str = "float32", sample_rate: int = SAMPLE_RATE,
                       max_seconds: float = MAX_FRAME_SECONDS) -> np.ndarray:
    """Turn one binary frame into float32 samples in [-1, 1] at ``sample_rate`` (not resampled: the
    per-session :class:`~whisper_live.audio.decoder.AudioDecoder` does that); raises :class:`ProtocolError`
    on bad input, and on a frame longer than ``max_seconds`` of audio."""
    dtype = AUDIO_FORMATS[audio_format]
    if len(data) % dtype.itemsize:
        raise ProtocolError(
            f"audio frame of {len(data)} bytes is not a whole number of {audio_format} samples "
            f"({dtype.itemsize} bytes each)"
        )
    if len(data) > int(max_seconds * sample_rate) * dtype.itemsize:
        raise ProtocolError(
            f"audio frame of {len(data)} bytes ({len(data) / dtype.itemsize / sample_rate:.2f} s of "
            f"{audio_format} at {sample_rate} Hz) is longer than {max_seconds:g} s; send smaller frames"
        )
    samples = np.frombuffer(data, dtype=dtype)
    if audio_format == "float32":
        if not np.isfinite(samples).all():
            raise ProtocolError("audio frame holds NaN or infinite samples")
        return np.clip(samples, -1.0, 1.0).astype(np.float32, copy=False)
    if audio_format == "int16":
        return samples.astype(np.float32) / 32768.0
    if audio_format == "mulaw":
        return g711.mulaw_decode(samples).astype(np.float32) / 32768.0
    if audio_format == "alaw":
        return g711.alaw_decode(samples).astype(np.float32) / 32768.0
    return (samples.astype(np.float32) - 128.0) / 128.0


def encode_audio_frame(samples: np.ndarray, audio_format: str = "float32") -> bytes:
    """The client-side inverse of :func:`decode_audio_frame` for float samples in [-1, 1] (no resampling:
    :class:`~whisper_live.audio.encoder.AudioEncoder` does that)."""
    samples = np.asarray(samples, dtype=np.float32)
    if audio_format == "float32":
        return samples.astype("<f4").tobytes()
    clipped = np.clip(samples, -1.0, 1.0)
    if audio_format == "int16":
        return (clipped * 32767.0).round().astype("<i2").tobytes()
    if audio_format == "uint8":
        return (clipped * 127.0 + 128.0).round().astype("u1").tobytes()
    if audio_format in ("mulaw", "alaw"):
        pcm = (clipped * 32767.0).round().astype(np.int16)
        return (g711.mulaw_encode(pcm) if audio_format == "mulaw" else g711.alaw_encode(pcm)).tobytes()
    raise ProtocolError(f"unknown audio_format {audio_format!r}")


# --- segments and replies ---------------------------------------------------------------------------------


@dataclass
class Word:
    start: float
    end: float
    word: str
    probability: float = 1.0

    def to_wire(self) -> dict:
        return {"start": round(self.start, 3), "end": round(self.end, 3), "word": self.word,
                "probability": round(self.probability, 4)}


@dataclass
class Segment:
    """A piece of transcript; times are seconds since the start of the client's stream."""

    start: float
    end: float
    text: str
    completed: bool = False
    words: Optional[list[Word]] = None
    speaker: Optional[str] = None  # with diarization: "SPEAKER_00" or a name (provisional on partials)

    def to_wire(self) -> dict:
        # WhisperLive sends start/end as strings with three decimals; its clients parse them with float().
        data: dict = {"start": f"{self.start:.3f}", "end": f"{self.end:.3f}", "text": self.text,
                      "completed": self.completed}
        if self.words is not None:
            data["words"] = [w.to_wire() for w in self.words]
        if self.speaker is not None:
            data["speaker"] = self.speaker
        return data

    def shifted(self, seconds: float, keep_words: bool = True) -> "Segment":
        """A copy ``seconds`` later, words too (or without words)."""
        words = None if self.words is None or not keep_words else [
            Word(w.start + seconds, w.end + seconds, w.word, w.probability) for w in self.words]
        return Segment(start=self.start + seconds, end=self.end + seconds, text=self.text,
                       completed=self.completed, words=words, speaker=self.speaker)

    @classmethod
    def from_wire(cls, data: dict) -> "Segment":
        words = data.get("words")
        return cls(
            start=float(data["start"]),
            end=float(data["end"]),
            text=str(data.get("text", "")),
            completed=bool(data.get("completed", False)),
            words=[Word(float(w["start"]), float(w["end"]), str(w["word"]), float(w.get("probability", 1.0)))
                   for w in words] if words is not None else None,
            speaker=str(data["speaker"]) if data.get("speaker") is not None else None,
        )


def server_ready(uid: str, backend: str, resume_token: Optional[str] = None, resume_window: float = 0.0,
                 audio_received: Optional[float] = None, room: Optional[dict] = None) -> str:
    """With ``resume_token``: the session may be resumed; with ``audio_received``: it was resumed; ``room``:
    the reader addresses of the room it publishes into (``room``, ``room_events``, ``room_watch``, ...)."""
    data: dict = {"uid": uid, "message": SERVER_READY, "backend": backend, **(room or {})}
    if resume_token is not None:
        data.update(resume_token=resume_token, resume_window=resume_window)
    if audio_received is not None:
        data.update(resumed=True, audio_received=round(audio_received, 4))
    return json.dumps(data)


def wait(uid: str, minutes: float) -> str:
    return json.dumps({"uid": uid, "status": STATUS_WAIT, "message": round(float(minutes), 2)})


def error(uid: str, message: str) -> str:
    return json.dumps({"uid": uid, "status": STATUS_ERROR, "message": message})


def warning(uid: str, message: str) -> str:
    return json.dumps({"uid": uid, "status": STATUS_WARNING, "message": message})


def disconnect(uid: str) -> str:
    return json.dumps({"uid": uid, "message": DISCONNECT})


def language(uid: str, lang: str, probability: float) -> str:
    return json.dumps({"uid": uid, "language": lang, "language_prob": round(float(probability), 4)})


def segments(uid: str, segs: list[Segment]) -> str:
    return json.dumps({"uid": uid, "segments": [s.to_wire() for s in segs]})


def open_repeat(uid: str, completed: list[Segment], partial: list[Segment]) -> Optional[str]:
    """When nothing is in progress, a segments message holding only the last completed segment again, open
    (``completed`` false, no words); None otherwise. Sent after a segments update that left nothing in
    progress: WhisperLive's Python client keeps the last open segment it was sent and writes it after its
    transcript when its text differs from the last completed one (docs/protocol.md, "What WhisperLive's
    clients see differently"). A client that keeps completed segments drops an open one repeating them."""
    if partial or not completed:
        return None
    last = completed[-1]
    return segments(uid, [Segment(start=last.start, end=last.end, text=last.text)])


@dataclass
class Reply:
    """A server message as the client library sees it."""

    kind: str  # "ready" | "wait" | "error" | "warning" | "disconnect" | "language" | "segments" | "unknown"
    uid: str = ""
    message: Any = None
    backend: Optional[str] = None
    language: Optional[str] = None
    language_prob: Optional[float] = None
    segments: list[Segment] = field(default_factory=list)
    resume_token: Optional[str] = None
    resume_window: float = 0.0
    resumed: bool = False
    audio_received: float = 0.0
    room: dict = field(default_factory=dict)  # SERVER_READY of a publisher: its room's reader addresses


def parse_reply(text: str) -> Reply:
    """Classify one server message (client side). Unknown keys are ignored."""
    data = json.loads(text)
    if not isinstance(data, dict):
        return Reply("unknown", message=data)
    uid = str(data.get("uid", ""))
    status = data.get("status")
    if status == STATUS_WAIT:
        return Reply("wait", uid, message=data.get("message"))
    if status == STATUS_ERROR:
        return Reply("error", uid, message=data.get("message"))
    if status == STATUS_WARNING:
        return Reply("warning", uid, message=data.get("message"))
    if data.get("message") == SERVER_READY:
        return Reply("ready", uid, backend=data.get("backend"), resume_token=data.get("resume_token"),
                     resume_window=float(data.get("resume_window") or 0.0), resumed=bool(data.get("resumed")),
                     audio_received=float(data.get("audio_received") or 0.0),
                     room={k: v for k, v in data.items() if k.startswith("room")})
    if data.get("message") == DISCONNECT:
        return Reply("disconnect", uid)
    if "segments" in data:
        return Reply("segments", uid, segments=[Segment.from_wire(s) for s in data["segments"]])
    if "language" in data:
        return Reply("language", uid, language=data["language"], language_prob=data.get("language_prob"))
    return Reply("unknown", uid, message=data)
