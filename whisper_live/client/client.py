"""The batteries-included clients: one audio source (file, microphone, RTSP, HLS) to one or more servers.

``TranscriptionClient(host, port, ...)`` is the one-server case of ``TranscriptionTeeClient([Client, ...])``,
the same split as WhisperLive's client, so code written for it keeps working.
"""

from __future__ import annotations

import logging
import threading
import time
import uuid
from pathlib import Path
from typing import Callable, Iterable, Optional, Sequence, Union

import numpy as np

from whisper_live.audio.encoder import CODEC_RATES, open_encoder
from whisper_live.protocol import SAMPLE_RATE, ClientOptions, Reply, Segment, VadParameters

from .console import ConsoleView
from .errors import ClientError, ServerBusy, ServerRejected
from .link import DEFAULT_KBPS, AdaptiveBitrate
from .output import write_transcript
from .pacing import Pacer
from .recording import Recorder
from .session import Session, SessionHandler, server_url
from .transcript import Transcript

log = logging.getLogger(__name__)

TranscriptionCallback = Callable[[str, list], None]


class Client(SessionHandler):
    """One server's settings and, after a run, its transcript (``.transcript``) and outcome (``.error``).

    ``transcription_callback(text, segments)`` is called on every update with the whole transcript so far
    (completed and in-progress text) and the segments of that update. ``codec`` ("mulaw" or "alaw") sends
    the audio as telephone audio, G.711 at 8 kHz, in place of ``audio_format``; ``"opus"`` as Opus packets
    at ``bitrate`` kbit/s, or ``"auto"``: following the link (:mod:`whisper_live.client.link`).
    ``enable_diarization`` asks for speaker labels (implied by ``speaker_names``, names in order of appearance,
    and by ``max_speakers``); completed segments then carry ``speaker``, and transcript files name it.
    """

    def __init__(self, host: str = "localhost", port: int = 9090, lang: Optional[str] = None,
                 translate: bool = False, model: Optional[str] = None, use_vad: bool = True,
                 send_last_n_segments: int = 10, no_speech_thresh: float = 0.45, clip_audio: bool = False,
                 same_output_threshold: int = 10, initial_prompt: Optional[str] = None,
                 hotwords: Optional[str] = None, word_timestamps: bool = False, use_wss: bool = False,
                 max_retries: int = 0, retry_interval: float = 30.0,
                 transcription_callback: Optional[TranscriptionCallback] = None,
                 srt_file_path: Optional[str] = None, output_format: Optional[str] = None,
                 audio_format: str = "float32", vad_parameters: Optional[dict] = None,
                 open_timeout: float = 10.0, finish_timeout: float = 60.0, name: Optional[str] = None,
                 log_transcription: bool = True, api_key: Optional[str] = None, ca_file: Optional[str] = None,
                 codec: Optional[str] = None, bitrate: Union[int, str, None] = None, room: Optional[str] = None,
                 speaker_name: str = "", room_public: bool = False, enable_diarization: bool = False,
                 max_speakers: Optional[int] = None, speaker_names: Sequence[str] = (),
                 diarization_threshold: Optional[float] = None):
        if codec is not None and codec not in CODEC_RATES:
            raise ValueError(f"codec must be one of {', '.join(CODEC_RATES)}, not {codec!r}")
        self.url = server_url(host, port, use_wss)
        self.api_key = api_key  # sent as Authorization: Bearer (never logged)
        self.ca_file = ca_file  # PEM CA bundle to verify a wss:// server with, instead of the system's
        self.name = name or self.url
        self.options = ClientOptions(
            uid=str(uuid.uuid4()), language=lang, task="translate" if translate else "transcribe", model=model,
            use_vad=use_vad, send_last_n_segments=send_last_n_segments, no_speech_thresh=no_speech_thresh,
            clip_audio=clip_audio, same_output_threshold=same_output_threshold, initial_prompt=initial_prompt,
            hotwords=hotwords, word_timestamps=word_timestamps, audio_format=codec or audio_format,
            sample_rate=CODEC_RATES.get(codec, SAMPLE_RATE), vad_parameters=VadParameters.from_wire(vad_parameters),
            room=room or None, speaker_name=speaker_name, room_public=room_public,
            enable_diarization=enable_diarization or bool(speaker_names) or max_speakers is not None,
            max_speakers=max_speakers, speaker_names=list(speaker_names), diarization_threshold=diarization_threshold,
        )
        self.bitrate = bitrate  # Opus: kbit/s, or "auto" (default)
        self._new_encoder()
        self.max_retries = max_retries
        self.retry_interval = retry_interval
        self.transcription_callback = transcription_callback
        self.srt_file_path = srt_file_path
        self.output_format = output_format
        self.open_timeout = open_timeout
        self.finish_timeout = finish_timeout   # seconds of server silence after END_OF_AUDIO before giving up
        self.log_transcription = log_transcription
        self.view: Optional[ConsoleView] = None
        self.notice: Callable[[str], None] = print
        self.transcript = Transcript()
        self.session: Optional[Session] = None
        self.error: Optional[str] = None
        self.source_name: Optional[str] = None
        self._last_message = time.monotonic()

    # --- a run ----------------------------------------------------------------------------------------

    def start(self, source_name: Optional[str] = None) -> None:
        """Open a new session (retrying on WAIT up to ``max_retries`` times); resets the transcript."""
        self.transcript = Transcript()
        self.error = None
        self.source_name = source_name
        self._new_encoder()
        attempt = 0
        while True:
            session = Session(self.url, self.options, self, self.open_timeout, self.api_key, self.ca_file)
            try:
                session.open()
            except ServerBusy as busy:
                attempt += 1
                if attempt > self.max_retries:
                    hint = "" if self.max_retries else "; retry later, or allow retries (--max_retries)"
                    raise _busy_with_hint(busy, hint) from None
                delay = self.retry_interval
                if busy.wait_minutes:
                    delay = min(delay, max(1.0, busy.wait_minutes * 60))
                self.notice(f"{self.name}: {busy}; retry {attempt}/{self.max_retries} in {delay:g} s")
                time.sleep(delay)
                continue
            break
        self.session = session
        self._last_message = time.monotonic()
        if session.backend:
            log.info("%s: session started (backend %s)", self.name, session.backend)
        if session.room.get("room_page"):  # publishing into a room: where its readers follow it
            self.notice(f"{self.name}: room {session.room['room']}: captions at {session.room['room_page']}")

    def _new_encoder(self) -> None:
        auto = self.bitrate in (None, "auto")
        self._encoder = open_encoder(self.options.audio_format, self.options.sample_rate,
                                     DEFAULT_KBPS if auto else int(self.bitrate))
        self.link = AdaptiveBitrate(self._encoder) if auto and self.options.audio_format == "opus" else None

    @property
    def active(self) -> bool:
        return self.session is not None and not self.session.closed

    def send(self, chunk: np.ndarray) -> bool:
        """Send float32 16 kHz mono samples, split into frames the server accepts."""
        if not self.active:
            return False
        if self.link is not None:
            self.link.adapt(self.session, chunk.size / SAMPLE_RATE)
        for frame in self._encoder.frames(chunk):
            if not self.session.send(frame, self._encoder.samples_in(frame)):
                return False
        return True

    def finish(self, timeout: Optional[float] = None) -> None:
        """END_OF_AUDIO, then wait for the final segments and DISCONNECT while the server keeps talking."""
        if self.session is None:
            return
        timeout = self.finish_timeout if timeout is None else timeout
        session = self.session
        if not session.closed:
            for frame in self._encoder.flush_frames():
                session.send(frame, self._encoder.samples_in(frame))
            session.finish(timeout=0)
            self._last_message = time.monotonic()
            while not session.wait_closed(0.2):
                if time.monotonic() - self._last_message > timeout:
                    self.notice(f"{self.name}: no final answer from the server within {timeout:g} s; closing")
                    break
        self.close()

    def close(self) -> None:
        if self.session is not None:
            session = self.session
            session.close()
            if session.error and not self.error:
                self.error = f"server error: {session.error}"
            elif not self.error and (session.ended_early or not session.finished_sending):
                reason = "DISCONNECT" if session.disconnected else "connection lost"
                self.error = f"server ended the session before the audio was all sent ({reason})"
        self._write_output()

    def _write_output(self) -> None:
        if self.srt_file_path:
            language = self.transcript.language or self.options.language
            path = write_transcript(self.srt_file_path, self.transcript.completed, self.output_format,
                                    language, self.source_name)
            log.info("%s: transcript written to %s", self.name, path)

    # --- replies (reader thread) ----------------------------------------------------------------------

    def on_reply(self, reply: Reply) -> None:
        self._last_message = time.monotonic()
        if reply.kind == "segments":
            committed = self.transcript.update(reply.segments)
            if self.link is not None:
                self.link.heard(reply.segments)
            if self.transcript.only_repeats(reply.segments):
                return  # nothing new to show or tell: the server's repeat for WhisperLive's own client
            if self.view is not None and self.log_transcription:
                self.view.update(self.name, self.transcript.last(self.view.n_segments), committed)
            if self.transcription_callback is not None:
                self.transcription_callback(self.transcript.text(include_pending=True), reply.segments)
        elif reply.kind == "language":
            self.transcript.language = reply.language
            self.transcript.language_prob = reply.language_prob
            self.notice(f"{self.name}: detected language {reply.language} (p={reply.language_prob})")
        elif reply.kind == "warning":
            self.notice(f"{self.name}: server warning: {reply.message}")
        elif reply.kind == "error":
            self.notice(f"{self.name}: server error: {reply.message}")
        elif reply.kind == "disconnect" and self.session is not None and not self.session.finished_sending:
            self.notice(f"{self.name}: the server ended the session (DISCONNECT)")

    def on_reconnecting(self, attempt: int, delay: float) -> None:
        if attempt == 1:
            self.notice(f"{self.name}: connection lost; reconnecting")

    def on_resumed(self, audio_received: float) -> None:
        self.notice(f"{self.name}: resumed (the server holds {audio_received:.1f} s of audio)")


def _busy_with_hint(busy: ServerBusy, hint: str) -> ServerBusy:
    err = ServerBusy(busy.wait_minutes)
    err.args = (str(err) + hint,)
    return err


class TranscriptionTeeClient:
    """One audio source fanned out to several clients (servers, languages, tasks), in lock step."""

    def __init__(self, clients: Sequence[Client], save_output_recording: bool = False,
                 output_recording_filename: str = "./output_recording.wav", mute_audio_playback: bool = False,
                 speed: float = 1.0, chunk_seconds: float = 0.1, n_display_segments: int = 3,
                 enable_timestamps: bool = False, view: Optional[ConsoleView] = None,
                 notice: Optional[Callable[[str], None]] = None, show_progress: bool = True,
                 stream_options: Optional[dict] = None):
        if not clients:
            raise ValueError("TranscriptionTeeClient needs at least one client")
        self.clients = list(clients)
        self.save_output_recording = save_output_recording
        self.output_recording_filename = output_recording_filename
        self.mute_audio_playback = mute_audio_playback
        self.speed = speed
        self.chunk_seconds = chunk_seconds
        self.view = view or ConsoleView(n_display_segments, enable_timestamps)
        self.notice = notice or self.view.message
        self.show_progress = show_progress
        self.stream_options = dict(stream_options or {})
        self.interrupted = False
        for c in self.clients:
            c.view = self.view
            c.notice = self.notice
        self._source = None
        self._stop = threading.Event()

    def __call__(self, audio: Optional[str] = None, rtsp_url: Optional[str] = None, hls_url: Optional[str] = None,
                 save_file: Optional[str] = None, source: Optional[Iterable[np.ndarray]] = None) -> list[Transcript]:
        """Transcribe a file (``audio``), a stream (``rtsp_url``/``hls_url``), any iterable of 16 kHz float32
        chunks (``source``), or the microphone (no argument). Returns one transcript per client.

        Raises :class:`ClientError` when no client got through; a client that failed while others went on has
        its reason in ``client.error``.
        """
        from .sources import FileSource, StreamSource  # PyAV is only needed once audio is read

        live = True
        if source is not None:
            name = getattr(source, "name", "audio")
            live = getattr(source, "live", True)
        elif audio is not None:
            chunk = self.chunk_seconds if 0 < self.speed <= 1 else min(2.0, self.chunk_seconds * max(self.speed, 20))
            source = FileSource(audio, chunk_seconds=chunk)
            name, live = audio, False
        elif rtsp_url or hls_url:
            url = rtsp_url or hls_url
            source = StreamSource(url, kind="rtsp" if rtsp_url else "hls", chunk_seconds=self.chunk_seconds,
                                  **self.stream_options)
            name = url
        else:
            from .microphone import Microphone
            source = Microphone(chunk_seconds=self.chunk_seconds)
            name = "microphone"
        recording = save_file or (self.output_recording_filename if self.save_output_recording else None)
        return self._run(source, name, live, recording)

    def stop(self) -> None:
        """End the current run from another thread, as Ctrl-C does."""
        self._stop.set()
        if self._source is not None and hasattr(self._source, "stop"):
            self._source.stop()

    def _run(self, source, name: str, live: bool, recording_path: Optional[str]) -> list[Transcript]:
        self._stop.clear()
        self.interrupted = False
        self._source = source
        prepare = getattr(source, "start", None)
        if prepare is not None:  # open the microphone before any server session, so its error comes first
            prepare()
        started = []
        first_error: Optional[ClientError] = None
        for c in self.clients:
            try:
                c.start(name)
                started.append(c)
            except ClientError as exc:
                c.error = str(exc)
                first_error = first_error or exc
                if len(self.clients) > 1:
                    self.notice(f"{c.name}: {exc}")
        if not started:
            getattr(source, "close", lambda: None)()
            raise first_error  # type: ignore[misc]
        player = None
        if not live and not self.mute_audio_playback and self.speed == 1.0:
            from .playback import open_player
            player = open_player(self.notice)
        recorder = Recorder(recording_path) if recording_path else None
        pacer = Pacer(self.speed if not live else 0)
        total = getattr(source, "duration", None)
        label = name if live else Path(name).name
        try:
            for chunk in source:
                if recorder is not None:
                    recorder.write(chunk)
                if player is not None:
                    player.write(chunk)
                sent = [c.send(chunk) for c in started]
                if not any(sent):
                    break  # every server has gone
                if self.show_progress:
                    self.view.progress(label, pacer.seconds + chunk.size / SAMPLE_RATE, total)
                pacer.after(chunk.size)
                if self._stop.is_set():
                    break
            else:
                if self.show_progress and not live:  # the container's duration is only an estimate
                    self.view.progress(label, pacer.seconds, pacer.seconds)
        except KeyboardInterrupt:
            self.interrupted = True
            self.notice("interrupted: finishing the transcript (Ctrl-C again to quit now)")
            if hasattr(source, "stop"):
                source.stop()
        except ClientError:  # the source failed: end the sessions cleanly, keep what was transcribed
            for c in started:
                c.finish(timeout=10.0)
            self.view.close()
            raise
        finally:
            if player is not None:
                player.close()
            if recorder is not None:
                recorder.close()
            getattr(source, "close", lambda: None)()
            self._source = None
        try:
            for c in started:
                c.finish(timeout=10.0 if self.interrupted else None)
        except KeyboardInterrupt:
            self.interrupted = True
            for c in started:
                c.close()
        self.view.close()
        failed = [c for c in self.clients if c.error]
        if len(failed) == len(self.clients):
            raise ServerRejected(failed[0].error)
        return [c.transcript for c in self.clients]


class TranscriptionClient(TranscriptionTeeClient):
    """One server, one source: ``TranscriptionClient("localhost", 9090)("speech.mp3")``.

    Takes :class:`Client`'s keyword arguments plus the source-side ones of :class:`TranscriptionTeeClient`.
    Calling it returns the :class:`Transcript`; a server ERROR or an early DISCONNECT raises
    :class:`ServerRejected` after the transcript so far has been written.
    """

    def __init__(self, host: str, port: int, lang: Optional[str] = None, translate: bool = False,
                 model: Optional[str] = None, use_vad: bool = True, save_output_recording: bool = False,
                 output_recording_filename: str = "./output_recording.wav", mute_audio_playback: bool = False,
                 srt_file_path: Optional[str] = None, send_last_n_segments: int = 10,
                 no_speech_thresh: float = 0.45, clip_audio: bool = False, same_output_threshold: int = 10,
                 initial_prompt: Optional[str] = None, hotwords: Optional[str] = None,
                 word_timestamps: bool = False, use_wss: bool = False, max_retries: int = 0,
                 transcription_callback: Optional[TranscriptionCallback] = None, speed: float = 1.0,
                 output_format: Optional[str] = None, n_display_segments: int = 3,
                 enable_timestamps: bool = False, log_transcription: bool = True, **kwargs):
        tee_keys = {"chunk_seconds", "view", "notice", "show_progress", "stream_options"}
        tee_kwargs = {k: kwargs.pop(k) for k in list(kwargs) if k in tee_keys}
        self.client = Client(
            host, port, lang=lang, translate=translate, model=model, use_vad=use_vad,
            send_last_n_segments=send_last_n_segments, no_speech_thresh=no_speech_thresh, clip_audio=clip_audio,
            same_output_threshold=same_output_threshold, initial_prompt=initial_prompt, hotwords=hotwords,
            word_timestamps=word_timestamps, use_wss=use_wss, max_retries=max_retries,
            transcription_callback=transcription_callback, srt_file_path=srt_file_path,
            output_format=output_format, log_transcription=log_transcription, **kwargs)
        super().__init__([self.client], save_output_recording=save_output_recording,
                         output_recording_filename=output_recording_filename,
                         mute_audio_playback=mute_audio_playback, speed=speed,
                         n_display_segments=n_display_segments, enable_timestamps=enable_timestamps, **tee_kwargs)

    def __call__(self, *args, **kwargs) -> Transcript:  # type: ignore[override]
        return super().__call__(*args, **kwargs)[0]

    @property
    def transcript(self) -> Transcript:
        return self.client.transcript
