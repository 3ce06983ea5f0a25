"""Run by the virtual environment of collabora's published client (scripts/whisperlive_client_venv.sh), never
by this project's interpreter: it imports that package's ``whisper_live.client``, whose name this project's
package shares.

    python -I whisperlive_client_driver.py HOST PORT AUDIO OUT.json

streams AUDIO as the package's README shows (``TranscriptionClient(host, port, ...)(audio)``, which plays the
file at real-time pace, waits for the server to go quiet, sends END_OF_AUDIO and writes an SRT), and writes
what the client kept to OUT.json: the returned text, its transcript segments, the server backend it was told,
whether it saw an error (and which, from its socket), the SRT and the package's version.
"""

import json
import sys
from pathlib import Path


def main(host: str, port: str, audio: str, out: str) -> None:
    from whisper_live import __version__
    from whisper_live.client import TranscriptionClient

    srt = Path(out).with_suffix(".srt")
    client = TranscriptionClient(host, int(port), lang="en", mute_audio_playback=True,
                                 output_transcription_path=str(srt))
    text = client(audio)
    inner = client.client
    Path(out).write_text(json.dumps({
        "version": __version__,
        "text": text,
        "transcript": inner.transcript,
        "backend": getattr(inner, "server_backend", None),
        "server_error": inner.server_error,
        "socket_error": str(getattr(inner, "error_message", "")),  # what on_error was handed, if called
        "srt": srt.read_text(encoding="utf-8") if srt.exists() else None,
    }), encoding="utf-8")


if __name__ == "__main__":
    main(*sys.argv[1:5])
