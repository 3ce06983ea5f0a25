"""Smoke tests of the API's benchmarks on short audio: files uploaded while live clients stream
(``python -m whisper_live.bench --upload``), and one file through the API against faster-whisper's own
``transcribe`` (``python -m whisper_live.bench.api_file``). The figures themselves belong to BENCHMARKS.md."""

from __future__ import annotations

import json

from whisper_live.bench import __main__ as bench_main
from whisper_live.bench import api_file

TEXT = "Please call Stella and ask her to bring these things with her from the store."


def test_uploads_while_live_clients_stream(api_server, espeak, capsys):
    speech = espeak(TEXT)
    code = bench_main.main(["--host", api_server.host, "--port", str(api_server.port), "--server-pid",
                            str(api_server.pid), "--clients", "2", "--audio", str(speech), "--reference", TEXT,
                            "--no-offline", "--upload", str(speech), "--upload-reference", TEXT,
                            "--api-url", api_server.base_url, "-q"])
    assert code == 0
    doc = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    run = doc["runs"][0]
    assert run["finished"] == 2 and run["final_latency_s"]["p90"] is not None
    assert run["uploads"] and all(u["status"] == 200 for u in run["uploads"])
    assert all(u["wer"] <= 0.3 and u["rtf"] > 0 for u in run["uploads"])
    assert doc["config"]["uploads"] == [str(speech)]


def test_a_file_through_the_api_against_faster_whisper(api_server, espeak, capsys):
    speech = espeak(TEXT)
    assert api_file.main(["--audio", str(speech), "--reference", TEXT, "--api-url", api_server.base_url]) == 0
    doc = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert doc["api"]["seconds"] > 0 and doc["faster_whisper"]["seconds"] > 0
    assert doc["speed_vs_faster_whisper"] > 0
    # the same decoding of the same audio by the same model: the same words
    assert doc["api"]["wer"] <= 0.3 and abs(doc["wer_minus_faster_whisper"]) <= 0.1
