"""Sound card access through sounddevice (PortAudio), imported only when a device is really needed."""

from __future__ import annotations

from .errors import MicrophoneUnavailable

PORTAUDIO_HINT = ("PortAudio is not installed: install it (Debian/Ubuntu: apt install libportaudio2; "
                  "Fedora: dnf install portaudio; macOS: brew install portaudio)")


def import_sounddevice():
    """The sounddevice module, or :class:`MicrophoneUnavailable` with a one-line reason."""
    try:
        import sounddevice
    except ImportError:
        raise MicrophoneUnavailable(
            "the microphone needs the sounddevice package: pip install 'whisper-live[client]'"
        ) from None
    except OSError:  # sounddevice raises OSError when it cannot load the PortAudio library
        raise MicrophoneUnavailable(PORTAUDIO_HINT) from None
    return sounddevice
