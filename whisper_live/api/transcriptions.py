"""``POST /v1/audio/transcriptions`` and ``/v1/audio/translations``: a whole file, as scheduler work.

The upload is read as it streams in (whisper_live/api/uploads.py), decoded by PyAV off the event loop, and
handed to the model's scheduler as a :class:`whisper_live.file_work.FileJob`, which runs only on the
capacity live clients leave. The answer is rendered in the asked ``response_format`` once the last window
is decoded, or streamed as Server-Sent Events (``stream=true``) segment by segment.
"""

from __future__ import annotations

import asyncio
import json
import logging
import uuid
from dataclasses import dataclass
from typing import Optional

import numpy as np

from whisper_live import fit
from whisper_live.api import catalog
from whisper_live.api.errors import ApiError, error_body
from whisper_live.api.formats import FORMATS, GRANULARITIES, render
from whisper_live.api.uploads import read_form
from whisper_live.file_work import FileJob, FileProgress
from whisper_live.protocol import SAMPLE_RATE
from whisper_live.transcriber.files import FileOptions, FileSegment

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
        if params.stream and params.response_format not in ("json", "text"):
            raise ApiError(400, "stream=true sends text events; use it with response_format json or text",
                           param="stream")
        return params

    def file_options(self) -> FileOptions:
        return FileOptions(language=self.language, task=self.task, initial_prompt=self.prompt,
                           hotwords=self.hotwords, word_timestamps="word" in self.granularities,
                           temperature=self.temperature)


def check_model_fits(params: TranscriptionParams, transcriber) -> None:
    """Refuse what the model cannot do (whisper_live/fit.py): the first finding, as HTTP 400."""
    from whisper_live.transcriber.base import Transcriber

    if type(transcriber).transcribe_file is Transcriber.transcribe_file:
        raise ApiError(501, f"the {transcriber.backend} backend cannot transcribe files; the faster_whisper "
                            f"backend can", type="server_error", code="not_implemented")
    findings = fit.check(transcriber, params.language, params.task).findings
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
        check_model_fits(params, runner.transcriber)
        audio = await asyncio.to_thread(decode_upload, upload)
    finally:
        await form.close()
    feed = JobFeed(asyncio.get_running_loop())
    job = FileJob(audio, params.file_options(), feed, name=uuid.uuid4().hex[:12])
    log.info("file %s: %.1f s of audio to %s (%s)", job.name, job.seconds, task, params.response_format)
    runner.add(job)
    if params.stream:
        from starlette.responses import StreamingResponse

        state.enter()  # until the stream ends (the route's count ends when this returns)
        return StreamingResponse(_events(job, feed, runner, request, state), media_type="text/event-stream",
                                 headers={"Cache-Control": "no-cache"})
    from starlette.responses import JSONResponse, Response

    try:
        transcript, segments = await _collect(job, feed, request)
    finally:
        _release(job, runner)
    body, media_type = render(segments, params.response_format, task=task, language=transcript.language,
                              duration=transcript.duration, granularities=params.granularities)
    if isinstance(body, dict):
        return JSONResponse(body)
    return Response(body, media_type=media_type)


def _release(job: FileJob, runner) -> None:
    if not job.finished:
        log.info("file %s: its client left; its work is dropped", job.name)
    job.cancel()
    runner.remove(job)


async def _collect(job: FileJob, feed: JobFeed, request):
    transcript, segments = None, []
    while True:
        progress, error = await feed.next(request)
        if error is not None:
            raise ApiError(500, f"transcription failed: {error}", type="server_error", code="model_error")
        if progress.transcript is not None:
            transcript = progress.transcript
        if progress.segment is not None:
            segments.append(progress.segment)
        if progress.done:
            return transcript, segments


def _sse(event: dict) -> str:
    return f"data: {json.dumps(event, ensure_ascii=False)}\n\n"


async def _events(job: FileJob, feed: JobFeed, runner, request, state):
    """OpenAI's streamed transcription: ``transcript.text.delta`` per segment, then ``transcript.text.done``."""
    segments: list[FileSegment] = []
    sent = []  # the deltas, whose concatenation is the done event's text
    try:
        while True:
            progress, error = await feed.next(request)
            if error is not None:
                yield _sse({"type": "error", **error_body(f"transcription failed: {error}", "server_error",
                                                          code="model_error")})
                return
            if progress.segment is not None:
                delta = progress.segment.text if segments else progress.segment.text.lstrip()
                segments.append(progress.segment)
                if delta:
                    sent.append(delta)
                    yield _sse({"type": "transcript.text.delta", "delta": delta})
            if progress.done:
                yield _sse({"type": "transcript.text.done", "text": "".join(sent)})
                return
    except ConnectionResetError:
        return
    finally:
        _release(job, runner)
        state.leave()
