"""whisper-live: a real-time speech transcription server speaking WhisperLive's wire protocol."""

__version__ = "0.1.0"
