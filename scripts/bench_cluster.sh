#!/usr/bin/env bash
# The load benchmark through HAProxy: NODES servers on this machine behind it (scripts/cluster.sh) against
# one server alone, under the same load (docs/scaling.md; the figures go to BENCHMARKS.md).
#
#   scripts/bench_cluster.sh NODES [bench flags...]        e.g. scripts/bench_cluster.sh 2 --clients 16
#
# Runs `python -m whisper_live.bench` twice with the same bench flags: against one server, then through
# HAProxy in front of NODES servers that share this machine's cores. Both get SERVER_FLAGS (default
# "--max_clients 64 --no_admission_control": every client is served, as in the other benchmarks); the
# NODES servers also NODE_FLAGS (default "--inference_workers cores/NODES --omp_num_threads 1": the
# cores split between them). Each run's table goes to stderr and its JSON line to stdout; the last line
# compares their final latency and WER. BENCH_OUT (default: a new temporary folder) keeps both JSON lines
# and the servers' logs.
set -euo pipefail

root="$(cd "$(dirname "$0")/.." && pwd)"
python="${PYTHON:-python3}"
[ $# -ge 1 ] && [[ "$1" =~ ^[1-9][0-9]*$ ]] || { sed -n '2,13p' "$0" | sed 's/^# \{0,1\}//' >&2; exit 2; }
nodes=$1
shift
read -r -a server_flags <<<"${SERVER_FLAGS:---max_clients 64 --no_admission_control}"
out="${BENCH_OUT:-$(mktemp -d /tmp/whisper-live-bench-cluster.XXXXXX)}"
mkdir -p "$out"
cores=$(nproc)
workers=$((cores / nodes))
[ "$workers" -ge 1 ] || workers=1
free_port() {
  "$python" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}
cd "$root"

echo "== one server ($cores cores) ==" >&2
port=$(free_port)
"$python" -m whisper_live.bench --port "$port" --json-out "$out/single.json" "$@" \
  --spawn-server "$python run_server.py --host 127.0.0.1 --port $port ${server_flags[*]}"

echo "== $nodes servers behind HAProxy ==" >&2
export CLUSTER_DIR="$out/cluster" PYTHON="$python"
trap 'bash "$root/scripts/cluster.sh" down' EXIT
port=$(free_port)
read -r -a node_flags <<<"${NODE_FLAGS:---inference_workers $workers --omp_num_threads 1}"
bash "$root/scripts/cluster.sh" up "$nodes" "$port" "${server_flags[@]}" "${node_flags[@]}" >&2
"$python" -m whisper_live.bench --port "$port" --json-out "$out/cluster.json" "$@"

"$python" - "$out/single.json" "$out/cluster.json" "$nodes" <<'EOF'
import json, sys

def figures(path):
    run = json.loads(open(path).read().splitlines()[-1])["runs"][-1]
    final = run["final_latency_s"]
    return (f"final p50 {final['p50']} s, p90 {final['p90']} s, max {final['max']} s, WER {run['wer']}, "
            f"{run['finished']} of {run['clients'] + run['silent']} finished")

print(f"one server: {figures(sys.argv[1])} | {sys.argv[3]} servers behind HAProxy: {figures(sys.argv[2])}")
EOF
echo "JSON lines and logs: $out" >&2
