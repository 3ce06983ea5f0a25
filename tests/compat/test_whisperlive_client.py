"""collabora's published Python client (PyPI whisper-live) transcribes a speech file through this server.

The client runs in a virtual environment of its own, made by scripts/whisperlive_client_venv.sh (which
scripts/test.sh runs): its package is also named ``whisper_live``. A missing environment fails the test.

The text ``TranscriptionClient`` returns and its SRT also hold the last open segment it was sent when that
segment's text differs from the last completed one; this server's final, decoded again with its context,
often differs from the last partial (in case or a word), and the server repeats the completed segment open
when nothing is in progress so that the client's SRT holds each utterance once (docs/protocol.md).
"""

import json
import os
import re
import subprocess
from pathlib import Path

import pytest

from tests.conftest import SHARED_AUDIO, audioeval_clip, shared_manifest
from whisper_live.wer import wer

ROOT = Path(__file__).resolve().parents[2]
VENV = Path(os.environ.get("WHISPERLIVE_CLIENT_VENV", ROOT / ".venvs" / "whisperlive-client"))
DRIVER = Path(__file__).with_name("whisperlive_client_driver.py")
LIBRISPEECH_FLAC = "en/librispeech/1089-134686-0002.flac"  # 6.6 s of LibriSpeech test-clean


@pytest.fixture(scope="module")
def client_python() -> Path:
    python = VENV / "bin" / "python"
    if not python.exists():
        pytest.fail(f"collabora's whisper-live client is not installed in {VENV}: run "
                    f"bash scripts/whisperlive_client_venv.sh (scripts/test.sh does)")
    return python


def speech(name: str) -> tuple[Path, str]:
    if name == "librispeech":
        rows = {row["file"]: row for row in shared_manifest()}  # skips where ../shared/audio is absent
        return SHARED_AUDIO / LIBRISPEECH_FLAC, rows[LIBRISPEECH_FLAC]["reference_transcript"]
    return audioeval_clip("en", name)


def run_client(python: Path, server, audio: Path, workdir: Path) -> tuple[dict, str]:
    out = workdir / "result.json"
    # -I: neither this checkout nor PYTHONPATH may put this project's whisper_live before the client's.
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    done = subprocess.run([str(python), "-I", str(DRIVER), server.host, str(server.port), str(audio), str(out)],
                          cwd=workdir, env=env, capture_output=True, text=True, timeout=180)
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-4000:]
    return json.loads(out.read_text(encoding="utf-8")), done.stdout


@pytest.fixture(scope="module")
def client_runs(client_python, live_server, tmp_path_factory):
    """``run(name)``: the client's result and stdout for one clip, each clip streamed once per module."""
    runs = {}

    def run(name):
        if name not in runs:
            audio, reference = speech(name)
            result, stdout = run_client(client_python, live_server, audio, tmp_path_factory.mktemp(name))
            runs[name] = reference, result, stdout
        return runs[name]

    return run


@pytest.mark.parametrize("name", ["quick_brown_fox", "librispeech"])
def test_collabora_client_transcribes_a_file_through_this_server(client_runs, name):
    reference, result, stdout = client_runs(name)
    assert result["version"] == "0.10.0"
    assert result["backend"] == "faster_whisper", stdout[-2000:]
    # No ERROR from the server. The socket's own report of the server closing the connection after
    # END_OF_AUDIO, as WhisperLive's server does too, also counts as an error for the client when the close
    # arrives before the client closes (websocket-client 1.9 hands every close frame to on_error).
    assert not result["server_error"] or result["socket_error"] == "Connection closed normally (code 1000)", \
        stdout[-2000:]
    # The client asks for its default model, "small"; this server serves tiny.en and says so. The client
    # prints each WARNING and ERROR message as "Message from Server: ...": that one is the only one.
    from_server = [line for line in stdout.splitlines() if line.startswith("Message from Server:")]
    assert len(from_server) == 1 and "'small' is not used" in from_server[0], stdout[-2000:]
    completed = [seg for seg in result["transcript"] if seg["completed"]]
    starts = [float(seg["start"]) for seg in completed]
    assert completed and starts == sorted(starts), result["transcript"]
    # tiny.en offline (greedy or beam 5): 0.00 on both clips; 0.25 leaves room
    # for a word or two heard differently in another window.
    assert wer(reference, " ".join(seg["text"] for seg in completed)) <= 0.25, completed
    assert result["srt"].startswith("1\n00:00:0") and completed[0]["text"] in result["srt"], result["srt"]



def srt_texts(srt: str) -> list[str]:
    """The text of each block of an SRT file."""
    return [" ".join(block.split("\n")[2:]).strip() for block in re.split(r"\n\n+", srt.strip()) if block]


@pytest.mark.parametrize("name", ["quick_brown_fox", "librispeech"])
def test_collabora_clients_srt_and_returned_text_hold_each_utterance_once(client_runs, name):
    reference, result, stdout = client_runs(name)
    # Writing its SRT, the client appends its last open segment to its transcript when the texts differ.
    transcript = result["transcript"]
    assert transcript and all(seg["completed"] for seg in transcript), transcript
    texts = [seg["text"].strip() for seg in transcript]
    assert srt_texts(result["srt"]) == texts, result["srt"]
    assert result["text"] == " ".join(texts)
    assert wer(reference, result["text"]) <= 0.25, result["text"]
