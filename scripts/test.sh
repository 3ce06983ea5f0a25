#!/usr/bin/env bash
# Install everything the test suite needs on a fresh Debian/Ubuntu machine, then run it.
# System packages: espeak-ng (test speech), ffmpeg (client stream tests), sox (test tones), chromium +
# chromium-driver (browser tests), nodejs + npm (extension build, lint and JS unit tests), prometheus (the
# metrics scrape test), openssl (TLS test certificates), portaudio19-dev + gcc (PyAudio, built for collabora's
# published client: scripts/whisperlive_client_venv.sh).
# firefox-esr: the page and the Firefox extension run in Firefox too (tests/browser/*_firefox.py).
# haproxy: the cluster tests run several servers behind it (tests/cluster/).
# iproute2: the throttled-link test builds its own network namespaces (tests/integration/test_throttled_link.py).
set -euo pipefail
cd "$(dirname "$0")/.."

sudo=""
[ "$(id -u)" = 0 ] || sudo="sudo"
missing=()
for pkg in espeak-ng ffmpeg sox chromium chromium-driver prometheus openssl portaudio19-dev gcc firefox-esr haproxy iproute2; do
  dpkg -s "$pkg" >/dev/null 2>&1 || missing+=("$pkg")
done
command -v node >/dev/null 2>&1 || missing+=(nodejs)
command -v npm >/dev/null 2>&1 || missing+=(npm)
if [ ${#missing[@]} -gt 0 ]; then
  echo "installing system packages: ${missing[*]}"
  $sudo apt-get update -qq
  $sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
fi

python -m pip install -q -r requirements/test.txt
python -m pip install -q --no-deps -r requirements/diarization.txt
# optimum-intel pulls in torchvision, whose PyPI build breaks `import transformers` next to CPU torch.
python -m pip uninstall -y -q torchvision >/dev/null 2>&1 || true
python -m pip install -q --no-deps -e .
bash scripts/whisperlive_client_venv.sh

npm ci --prefix extensions --no-audit --no-fund --loglevel=error
node --test tests/browser/js/
npm run --silent lint:firefox --prefix extensions

# Two processes, each taking whole test files (a file's servers and clusters stay in one process); the
# slowest tests are listed at the end.
python -m pytest tests -q -n 2 --dist loadfile --durations=15
