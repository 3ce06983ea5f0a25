"""``--compute_type`` with the real model: a given type and ``auto`` start and transcribe, say what they chose
(log and /metrics), ``auto`` times the machine once (the next start reads the cache), and float16 without a
CUDA GPU is refused at start-up."""

import subprocess
import sys
import urllib.request

import numpy as np
import pytest

from tests.server_process import ROOT
from tests.ws_session import load_audio, stream
from whisper_live.wer import normalize


def metrics_text(server) -> str:
    with urllib.request.urlopen(f"http://{server.host}:{server.port}/metrics", timeout=30) as reply:
        return reply.read().decode()


def transcribes(server, espeak) -> None:
    audio = np.concatenate([load_audio(espeak("Please close the door before you leave.")),
                            np.zeros(16000, np.float32)])
    outcome = stream(server.url, audio, speed=2.0)
    assert not outcome.of("error"), outcome.replies
    assert "close the door" in normalize(outcome.text), outcome.text


def test_a_given_compute_type_serves_every_kind_of_work(start_server, espeak, tmp_path):
    server = start_server("--compute_type", "float32", "-c", str(tmp_path))
    transcribes(server, espeak)
    assert "compute types of tiny.en on cpu: partial float32 (given" in server.log()
    text = metrics_text(server)
    for work in ("partial", "final", "file"):
        assert (f'whisperlive_compute_type_info{{backend="faster_whisper",compute_type="float32",model="tiny.en",'
                f'reason="given (--compute_type)",work="{work}"}} 1.0') in text


def test_auto_times_the_machine_once_and_serves_with_its_choice(start_server, espeak, tmp_path):
    first = start_server("--compute_type", "auto", "-c", str(tmp_path))
    transcribes(first, espeak)
    log = first.log()
    assert "compute types timed in" in log and "compute types of tiny.en on cpu: partial " in log, log
    assert 'work="file"' in metrics_text(first) and (tmp_path / "compute_types.json").exists()
    first.stop()
    again = start_server("--compute_type", "auto", "-c", str(tmp_path))
    assert "compute type timings of this model and machine from" in again.log()
    transcribes(again, espeak)


def test_float16_without_a_cuda_gpu_is_refused_at_start_up():
    import ctranslate2

    if ctranslate2.get_cuda_device_count() > 0:
        pytest.skip("this machine has a CUDA GPU")
    done = subprocess.run([sys.executable, str(ROOT / "run_server.py"), "--host", "127.0.0.1", "--port", "0",
                           "--compute_type", "float16"], capture_output=True, text=True, timeout=60)
    assert done.returncode == 2 and "float16 needs a CUDA GPU" in done.stderr, done.stderr
