"""Errors the client raises; each message is one line a person can act on (the CLI prints it as is)."""

from __future__ import annotations


class ClientError(Exception):
    """Base class: anything that ends a client run with a message instead of a traceback."""


class ServerUnreachable(ClientError):
    """No WebSocket connection could be opened (refused, timed out, bad address, TLS failure)."""


class ServerBusy(ClientError):
    """The server answered WAIT: it is full. ``wait_minutes`` is its estimate of the wait."""

    def __init__(self, wait_minutes: float | None):
        self.wait_minutes = wait_minutes
        estimate = f"about {wait_minutes:g} min" if isinstance(wait_minutes, (int, float)) else "unknown"
        super().__init__(f"server is full (estimated wait: {estimate})")


class ServerRejected(ClientError):
    """The server answered ERROR, or ended the session before the audio was all sent."""


class AudioSourceError(ClientError):
    """An audio input could not be opened or decoded (missing file, no audio stream, dead URL)."""


class MicrophoneUnavailable(AudioSourceError):
    """No way to capture audio: sounddevice or PortAudio missing, or no input device."""
