"""``POST /v1/audio/transcriptions`` and ``/v1/audio/translations``: a whole file, as scheduler work.

The upload is read as it streams in (whisper_live/api/uploads.py), decoded by PyAV off the event loop, and
handed to the model's scheduler as a :class:`whisper_live.file_work.FileJob`, which runs only on the
capacity live clients leave. The answer is rendered in the asked ``response_format`` once the last window
is decoded, or streamed as Server-Sent Events (``stream=true``, whisper_live/api/file_events.py) segment by
segment. A request that asks for speakers (whisper_live/api/speakers.py) has each segment labelled as it
comes.
"""

from __future__ import annotations

import asyncio
import logging
import uuid
from dataclasses import dataclass
from typing import Optional

import numpy as np

from whisper_live import fit
from whisper_live.api import catalog
from whisper_live.api.errors import ApiError
from whisper_live.api.formats import FORMATS, GRANULARITIES, render
from whisper_live.api.speakers import FileSpeakers, SpeakerRequest, labelled, last_labelled, refuse_unless_served
from whisper_live.api.uploads import read_form
from whisper_live.file_work import FileJob, FileProgress
from whisper_live.protocol import SAMPLE_RATE
from whisper_live.transcriber.files import FileOptions

log = logging.getLogger(__name__)

# How often (s) a request that waits for its transcript checks that its client is still there.
DISCONNECT_POLL = 0.5
TRUE = ("true", "1", "yes", "on")
FALSE = ("false", "0", "no", "off", "")


@dataclass
class TranscriptionParams:
    """The form fields of a transcription or translation request, checked."""

    task: str
    model: str = ""
    language: Optional[str] = None
    prompt: Optional[str] = None
    hotwords: Optional[str] = None
    response_format: str = "json"
    temperature: float = 0.0
    granularities: tuple = ()
    stream: bool = False
    speakers: Optional[SpeakerRequest] = None  # when the request asks for speaker labels

    @classmethod
    def from_form(cls, form, task: str) -> "TranscriptionParams":
        def text(name: str) -> Optional[str]:
            value = form.get(name)
            if value is not None and not isinstance(value, str):
                raise ApiError(400, f"{name} must be a text field, not a file", param=name)
            return value.strip() if value is not None and value.strip() else None

        params = cls(task=task, model=text("model") or "", prompt=text("prompt"), hotwords=text("hotwords"),
                     response_format=(text("response_format") or "json").lower())
        if task == "transcribe":
            params.language = (text("language") or "").lower() or None
        if params.response_format not in FORMATS:
            raise ApiError(400, f"response_format {params.response_format!r} is not one of {', '.join(FORMATS)}",
                           param="response_format", code="invalid_value")
        temperature = text("temperature")
        if temperature is not None:
            try:
                params.temperature = float(temperature)
            except ValueError:
                raise ApiError(400, "temperature must be a number from 0 to 1", param="temperature") from None
            if not 0.0 <= params.temperature <= 1.0:
                raise ApiError(400, "temperature must be from 0 to 1", param="temperature")
        granularities = [g.strip() for key in ("timestamp_granularities[]", "timestamp_granularities")
                         for g in form.getlist(key) if isinstance(g, str) and g.strip()]
        for g in granularities:
            if g not in GRANULARITIES:
                raise ApiError(400, f"timestamp_granularities: {g!r} is not one of {', '.join(GRANULARITIES)}",
                               param="timestamp_granularities[]", code="invalid_value")
        if granularities and params.response_format != "verbose_json":
            raise ApiError(400, "timestamp_granularities needs response_format verbose_json",
                           param="timestamp_granularities[]")
        params.granularities = tuple(dict.fromkeys(granularities))
        stream = (text("stream") or "").lower()
        if stream not in TRUE + FALSE:
            raise ApiError(400, "stream must be true or false", param="stream")
        params.stream = stream in TRUE
        if params.stream and params.response_format not in ("json", "text", "diarized_json"):
            raise ApiError(400, "stream=true sends text events; use it with response_format json, text or "
                                "diarized_json", param="stream")
        params.speakers = SpeakerRequest.from_form(form, params.response_format)
        return params

    def file_options(self) -> FileOptions:
        """What the model is asked; with speakers, word times too (a segment splits where the voice does)."""
        return FileOptions(language=self.language, task=self.task, initial_prompt=self.prompt,
                           hotwords=self.hotwords,
                           word_timestamps="word" in self.granularities or self.speakers is not None,
                           temperature=self.temperature)


def check_model_fits(params: TranscriptionParams, transcriber, diarization: bool = False) -> None:
    """Refuse what the model cannot do (whisper_live/fit.py): the first finding, as HTTP 400. ``diarization``:
    whether this server labels speakers (a request for them is refused, with a WARNING, where it does not)."""
    from whisper_live.transcriber.base import Transcriber

    if type(transcriber).transcribe_file is Transcriber.transcribe_file:
        raise ApiError(501, f"the {transcriber.backend} backend cannot transcribe files; the faster_whisper "
                            f"backend can", type="server_error", code="not_implemented")
    findings = fit.check(transcriber, params.language, params.task, enable_diarization=bool(params.speakers),
                         diarization=diarization).findings
    if findings and findings[0].code == "diarization_unavailable":
        refuse_unless_served(findings[0], params.speakers)
    if findings:
        raise ApiError(400, findings[0].message, param=findings[0].param, code=findings[0].code)


def decode_upload(upload) -> np.ndarray:
    """The uploaded file as 16 kHz mono float32 (PyAV); ApiError when it holds no audio that decodes."""
    from faster_whisper.audio import decode_audio

    upload.file.seek(0)
    if not upload.file.read(1):
        raise ApiError(400, "the uploaded file is empty", param="file", code="empty_file")
    upload.file.seek(0)
    try:
        audio = decode_audio(upload.file, sampling_rate=SAMPLE_RATE)
    except Exception as exc:  # PyAV raises many kinds for what it cannot read
        raise ApiError(400, f"the uploaded file {upload.filename or ''!r} cannot be decoded as audio "
                            f"({type(exc).__name__}: {exc})", param="file", code="invalid_audio") from None
    if audio.size == 0:
        raise ApiError(400, "the uploaded file holds no audio", param="file", code="invalid_audio")
    return audio


class JobFeed:
    """A FileJob's progress, moved from the scheduler's worker thread to the event loop."""

    def __init__(self, loop: asyncio.AbstractEventLoop):
        self._loop = loop
        self.queue: asyncio.Queue = asyncio.Queue()
        self._checked = loop.time()  # when the client was last seen connected

    def __call__(self, progress: Optional[FileProgress], error: Optional[BaseException]) -> None:
        self._loop.call_soon_threadsafe(self.queue.put_nowait, (progress, error))

    async def next(self, request) -> tuple[Optional[FileProgress], Optional[BaseException]]:
        """The next progress; raises ConnectionResetError when the client went away meanwhile (looked at
        every ``DISCONNECT_POLL`` s, however quickly progress comes)."""
        while True:
            if self._loop.time() - self._checked >= DISCONNECT_POLL:
                if await request.is_disconnected():
                    raise ConnectionResetError("the client disconnected")
                self._checked = self._loop.time()
            try:
                return await asyncio.wait_for(self.queue.get(), DISCONNECT_POLL)
            except asyncio.TimeoutError:
                continue


async def handle(request, state, task: str):
    """One transcription (``task`` "transcribe") or translation ("translate") request."""
    form = await read_form(request, state.max_upload_bytes)
    try:
        params = TranscriptionParams.from_form(form, task)
        upload = form.get("file")
        if upload is None or isinstance(upload, str):
            raise ApiError(400, "no file: send the audio in a multipart field named 'file'", param="file",
                           code="missing_file")
        runner = await catalog.runner_for(state.server, params.model)
        check_model_fits(params, runner.transcriber, diarization=labels_speakers(state.server))
        audio = await asyncio.to_thread(decode_upload, upload)
        speakers = await asyncio.to_thread(FileSpeakers.for_request, params.speakers, audio)
    finally:
        await form.close()
    feed = JobFeed(asyncio.get_running_loop())
    job = FileJob(audio, params.file_options(), feed, name=uuid.uuid4().hex[:12])
    log.info("file %s: %.1f s of audio to %s (%s)", job.name, job.seconds, task, params.response_format)
    runner.add(job)
    if params.stream:
        from starlette.responses import StreamingResponse

        from whisper_live.api.file_events import events

        def end() -> None:
            _release(job, runner)
            state.leave()

        state.enter()  # until the stream ends (the route's count ends when this returns)
        return StreamingResponse(events(feed, request, speakers, end), media_type="text/event-stream",
                                 headers={"Cache-Control": "no-cache"})
    from starlette.responses import JSONResponse, Response

    try:
        transcript, segments = await _collect(job, feed, request, speakers)
    finally:
        _release(job, runner)
    body, media_type = render(segments, params.response_format, task=task, language=transcript.language,
                              duration=transcript.duration, granularities=params.granularities,
                              speakers=speakers is not None)
    if isinstance(body, dict):
        return JSONResponse(body)
    return Response(body, media_type=media_type)


def _release(job: FileJob, runner) -> None:
    if not job.finished:
        log.info("file %s: its client left; its work is dropped", job.name)
    job.cancel()
    runner.remove(job)


def labels_speakers(server) -> bool:
    """Whether ``server`` labels speakers: it runs without ``--diarization off`` and has the speaker model."""
    from whisper_live.diarization import live

    return bool(getattr(server.config, "diarization", False)) and live.available()


async def _collect(job: FileJob, feed: JobFeed, request, speakers: Optional[FileSpeakers]):
    transcript, segments = None, []
    while True:
        progress, error = await feed.next(request)
        if error is not None:
            raise ApiError(500, f"transcription failed: {error}", type="server_error", code="model_error")
        if progress.transcript is not None:
            transcript = progress.transcript
        if progress.segment is not None:
            segments += await labelled(speakers, progress.segment)
        if progress.done:
            return transcript, segments + last_labelled(speakers)
