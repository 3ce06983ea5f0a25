#!/usr/bin/env bash
# A virtual environment holding collabora's published WhisperLive client, for the test that streams a file
# through this server with it (tests/compat/test_whisperlive_client.py). Its package is also named
# whisper_live, so it lives apart from this project's. The package goes in with --no-deps (it requires torch,
# openvino and the server's stack); requirements/whisperlive_client.txt lists what its client module imports.
# Usage: bash scripts/whisperlive_client_venv.sh [DIR]   (default: .venvs/whisperlive-client)
set -euo pipefail
cd "$(dirname "$0")/.."
WHISPERLIVE_VERSION=0.10.0
venv="${1:-.venvs/whisperlive-client}"

if [ ! -x "$venv/bin/python" ]; then
  python -m venv "$venv"
fi
"$venv/bin/python" -m pip install -q --upgrade pip
"$venv/bin/python" -m pip install -q -r requirements/whisperlive_client.txt
"$venv/bin/python" -m pip install -q --no-deps "whisper-live==$WHISPERLIVE_VERSION"
# Checked from outside the checkout, so that this project's whisper_live cannot shadow the installed one.
python_bin="$(cd "$venv" && pwd)/bin/python"
(cd / && "$python_bin" -c "import whisper_live.client")
echo "collabora whisper-live $WHISPERLIVE_VERSION client in $venv"
