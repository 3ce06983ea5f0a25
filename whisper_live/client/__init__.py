"""Python client for whisper-live (and any server speaking WhisperLive's protocol).

* :class:`TranscriptionClient`: a file, the microphone, an RTSP or HLS stream to one server.
* :class:`TranscriptionTeeClient`: one source to several :class:`Client` s (servers, languages).
* :class:`StreamingTranscriptionClient`: the caller pushes PCM chunks and gets callbacks.

The command line is ``whisper-live-client`` / ``run_client.py`` (:mod:`whisper_live.client.cli`).
"""

from .client import Client, TranscriptionClient, TranscriptionTeeClient
from .errors import (AudioSourceError, ClientError, MicrophoneUnavailable, ServerBusy, ServerRejected,
                     ServerUnreachable)
from .output import write_transcript
from .streaming import StreamingTranscriptionClient
from .transcript import Transcript

__all__ = [
    "AudioSourceError", "Client", "ClientError", "MicrophoneUnavailable", "ServerBusy", "ServerRejected",
    "ServerUnreachable", "StreamingTranscriptionClient", "Transcript", "TranscriptionClient",
    "TranscriptionTeeClient", "write_transcript",
]
