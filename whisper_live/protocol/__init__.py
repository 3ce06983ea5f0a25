"""The wire protocol (collabora WhisperLive's), in one package: the options message, audio frames,
transcript segments and the server's messages.

It speaks WhisperLive's protocol so that its clients work unchanged, and both the server and the client
library of this project build and read messages only through this package. docs/protocol.md is the prose
version of the same facts.

A session on a WebSocket goes:

1. client -> server: one text frame, a JSON object of options (:class:`ClientOptions`);
2. server -> client: ``SERVER_READY``, or ``WAIT`` (server full: the estimated wait in minutes, then close),
   or ``ERROR`` (then close);
3. client -> server: binary frames of mono audio (16 kHz float32 PCM by default; ``audio_format`` and
   ``sample_rate`` choose others, G.711 mu-law and A-law and Opus included), then the bytes ``END_OF_AUDIO``;
4. server -> client: ``{"uid", "segments": [...]}`` updates, ``{"uid", "language", "language_prob"}`` once,
   ``WARNING`` / ``ERROR`` messages, and ``DISCONNECT`` when the server ends the session.

Its modules, each re-exported here (``from whisper_live import protocol``; ``protocol.ClientOptions``):

* :mod:`~whisper_live.protocol.errors`: :class:`ProtocolError`, a broken rule told to the client;
* :mod:`~whisper_live.protocol.options`: the first message, :class:`ClientOptions` and :class:`VadParameters`;
* :mod:`~whisper_live.protocol.audio_frames`: the audio formats, ``sample_rate``, and the binary frames;
* :mod:`~whisper_live.protocol.segment`: :class:`Segment` and :class:`Word`, pieces of transcript;
* :mod:`~whisper_live.protocol.server_messages`: each server message, built (server) and read (client).
"""

from whisper_live.protocol.audio_frames import (AUDIO_FORMATS, COMPRESSED_FORMATS, END_OF_AUDIO, MAX_FRAME_SECONDS,
                                                MAX_SAMPLE_RATE, MIN_SAMPLE_RATE, SAMPLE_RATE, WIRE_FORMATS,
                                                decode_audio_frame, encode_audio_frame, parse_sample_rate)
from whisper_live.protocol.errors import ProtocolError
from whisper_live.protocol.options import TASKS, ClientOptions, VadParameters
from whisper_live.protocol.segment import Segment, Word
from whisper_live.protocol.server_messages import (DISCONNECT, SERVER_READY, STATUS_ERROR, STATUS_WAIT,
                                                   STATUS_WARNING, Reply, disconnect, error, language,
                                                   open_repeat, parse_reply, segments, server_ready, wait,
                                                   warning)

__all__ = [
    "AUDIO_FORMATS", "COMPRESSED_FORMATS", "END_OF_AUDIO", "MAX_FRAME_SECONDS", "MAX_SAMPLE_RATE", "MIN_SAMPLE_RATE",
    "SAMPLE_RATE", "WIRE_FORMATS", "decode_audio_frame", "encode_audio_frame", "parse_sample_rate",
    "ProtocolError",
    "TASKS", "ClientOptions", "VadParameters",
    "Segment", "Word",
    "DISCONNECT", "SERVER_READY", "STATUS_ERROR", "STATUS_WAIT", "STATUS_WARNING", "Reply", "disconnect", "error",
    "language", "open_repeat", "parse_reply", "segments", "server_ready", "wait", "warning",
]
