#!/usr/bin/env bash
# Collabora's WhisperLive server (PyPI `whisper-live`), for the load bench to measure beside this one.
#
#   bash benchmarks/whisperlive.sh setup                 # its venv, once
#   bash benchmarks/whisperlive.sh serve --port 9090     # its server, in the foreground
#
# Its package shares the import name `whisper_live` with this project, so it lives in a venv of its own,
# and the server runs from that venv's folder, never from the checkout. The venv sees the system's
# packages (faster-whisper, torch, fastapi, uvicorn: requirements/test.txt installs them) and adds only
# whisper-live itself and silero-vad, without their dependencies: the PyPI package pulls in CUDA, OpenVINO
# and translation stacks that its faster_whisper server does not import. Nothing is downloaded at run
# time: the model is the bundled tiny.en directory, and the Silero VAD model that WhisperLive would fetch
# from GitHub into ~/.cache/whisper-live/ is copied from the silero-vad package into the venv's own HOME.
#
# serve flags: --port (9090), --host (127.0.0.1), --model (bundled name or CTranslate2 directory; tiny.en),
# --max_clients (64: WhisperLive's default of 4 would answer WAIT to a larger bench),
# --max_connection_time (1200), --batch (its batch inference, `--batch_inference` in its own CLI: one worker
# decodes the clients' windows together, greedy; its admission limits raised like --max_clients, so that
# every bench client is served). WhisperLive runs with its own defaults otherwise (VAD on, one model).
set -euo pipefail

WHISPERLIVE_VERSION="${WHISPERLIVE_VERSION:-0.10.0}"
SILERO_VAD_VERSION="${SILERO_VAD_VERSION:-6.2.3}"
DIR="${WHISPERLIVE_DIR:-$HOME/.cache/whisperlive-reference}"
VENV="$DIR/venv"
PYTHON="${PYTHON:-python3}"

setup() {
    if [ ! -x "$VENV/bin/python" ]; then
        "$PYTHON" -m venv --system-site-packages "$VENV"
    fi
    "$VENV/bin/python" -m pip install -q --no-deps "whisper-live==$WHISPERLIVE_VERSION" "silero-vad==$SILERO_VAD_VERSION"
    mkdir -p "$DIR/home/.cache/whisper-live"
    (cd "$DIR" && "$VENV/bin/python" - "$DIR/home/.cache/whisper-live/silero_vad.onnx" <<'PY'
import pathlib, shutil, sys
import silero_vad
onnx = pathlib.Path(silero_vad.__file__).parent / "data" / "silero_vad.onnx"
shutil.copyfile(onnx, sys.argv[1])
import whisper_live, whisper_live.server  # WhisperLive's, from the venv: fails here if an import is missing
assert pathlib.Path(whisper_live.__file__).is_relative_to(pathlib.Path(sys.prefix)), whisper_live.__file__
print("WhisperLive", whisper_live.__file__)
PY
    )
}

serve() {
    local host=127.0.0.1 port=9090 model=tiny.en max_clients=64 max_time=1200 batch=0
    while [ $# -gt 0 ]; do
        case "$1" in
            --host) host="$2"; shift 2 ;;
            --port) port="$2"; shift 2 ;;
            --model) model="$2"; shift 2 ;;
            --max_clients) max_clients="$2"; shift 2 ;;
            --max_connection_time) max_time="$2"; shift 2 ;;
            --batch) batch=1; shift ;;
            *) echo "whisperlive.sh serve: unknown flag $1" >&2; exit 2 ;;
        esac
    done
    if [ ! -f "$DIR/home/.cache/whisper-live/silero_vad.onnx" ]; then
        echo "whisperlive.sh: no venv in $DIR; run: bash benchmarks/whisperlive.sh setup" >&2
        exit 1
    fi
    # The model directory is resolved by this project (bundled tiny.en / base), before leaving the checkout.
    local model_dir
    model_dir="$("$PYTHON" -c 'import sys; from whisper_live.models import resolve_model; print(resolve_model(sys.argv[1]))' "$model")"
    cd "$DIR"
    export HOME="$DIR/home" HF_HUB_OFFLINE=1 PYTHONPATH=
    exec "$VENV/bin/python" -c '
import sys
from whisper_live.server import TranscriptionServer
host, port, model, max_clients, max_time, batch = sys.argv[1:]
batching = dict(batch_enabled=True, batch_max_queue_wait_s=3600.0, batch_max_admissions_per_s=1000.0) \
    if batch == "1" else {}
TranscriptionServer().run(host, port=int(port), backend="faster_whisper",
                          faster_whisper_custom_model_path=model, single_model=True,
                          max_clients=int(max_clients), max_connection_time=int(max_time), **batching)
' "$host" "$port" "$model_dir" "$max_clients" "$max_time" "$batch"
}

case "${1:-}" in
    setup) setup ;;
    serve) shift; serve "$@" ;;
    *) echo "usage: bash benchmarks/whisperlive.sh setup | serve [--port P] [--host H] [--model M] [--max_clients N] [--max_connection_time S] [--batch]" >&2; exit 2 ;;
esac
