#!/usr/bin/env bash
# Several whisper-live servers on this machine behind HAProxy (docs/scaling.md).
#
#   scripts/cluster.sh up N PORT [server flags...]   start N servers on free loopback ports, each with its
#                                                    HAProxy agent, and HAProxy in front of them on PORT
#   scripts/cluster.sh down                          stop what "up" started
#   scripts/cluster.sh run N PORT [server flags...]  "up", then wait; stop everything on SIGINT or SIGTERM
#                                                    (for commands that run a server in the foreground,
#                                                    such as the load bench's --spawn-server)
#
# "up" prints one line per process, "node PID PORT" and "haproxy PID PORT", once every server listens.
# With --enable_rest among the flags, HAProxy also balances the servers' API on --rest_port (8000).
# CLUSTER_DIR (default /tmp/whisper-live-cluster-$UID) holds the processes' list, each server's log
# (node-1.log, ...), HAProxy's configuration, log and runtime socket (haproxy.sock). PYTHON names the
# interpreter (default python3); CLUSTER_START_TIMEOUT the seconds allowed for the servers to start
# (default 180); CLUSTER_STOP_TIMEOUT the seconds a server may take to stop after SIGTERM before it is
# killed (default 60: a server drains its clients first).
set -euo pipefail

root="$(cd "$(dirname "$0")/.." && pwd)"
dir="${CLUSTER_DIR:-/tmp/whisper-live-cluster-$(id -u)}"
python="${PYTHON:-python3}"
list="$dir/processes"

usage() {
  sed -n '2,17p' "$0" | sed 's/^# \{0,1\}//' >&2
  exit 2
}

# Whether PID is alive and still runs the program its line in $list says (a PID can be reused).
ours() {
  local pid=$1 what=$2
  [ -r "/proc/$pid/cmdline" ] || return 1
  tr '\0' ' ' <"/proc/$pid/cmdline" | grep -q -- "$what"
}

program_of() {
  if [ "$1" = haproxy ]; then echo "haproxy -db -f $dir/haproxy.cfg"; else echo run_server.py; fi
}

stop_all() {
  [ -f "$list" ] || return 0
  local kind pid rest deadline
  # HAProxy first, so that no new session reaches a server that stops
  for kind in haproxy node; do
    while read -r k pid rest; do
      [ "$k" = "$kind" ] && ours "$pid" "$(program_of "$k")" && kill -TERM "$pid" 2>/dev/null || true
    done <"$list"
    deadline=$((SECONDS + ${CLUSTER_STOP_TIMEOUT:-60}))
    while read -r k pid rest; do
      [ "$k" = "$kind" ] || continue
      while ours "$pid" "$(program_of "$k")" && [ $SECONDS -lt $deadline ]; do sleep 0.2; done
      if ours "$pid" "$(program_of "$k")"; then
        echo "cluster: $k $pid did not stop in time: killed" >&2
        kill -KILL "$pid" 2>/dev/null || true
      fi
    done <"$list"
  done
  rm -f "$list"
}

listening() {  # host port
  (exec 3<>"/dev/tcp/$1/$2") 2>/dev/null
}

up() {
  [ $# -ge 2 ] || usage
  local n=$1 port=$2
  shift 2
  [[ "$n" =~ ^[1-9][0-9]*$ ]] || { echo "cluster: N must be a positive number, not '$n'" >&2; exit 2; }
  [[ "$port" =~ ^[0-9]+$ ]] || { echo "cluster: PORT must be a number, not '$port'" >&2; exit 2; }
  command -v haproxy >/dev/null || { echo "cluster: haproxy is not installed (apt-get install haproxy)" >&2; exit 2; }
  # with --enable_rest the servers also serve the API: HAProxy balances it on their --rest_port (8000)
  local flag previous="" rest=""
  for flag in "$@"; do
    [ "$flag" = --enable_rest ] && rest=${rest:-8000}
    [ "$previous" = --rest_port ] && rest=$flag
    [[ "$flag" == --rest_port=* ]] && rest=${flag#--rest_port=}
    previous=$flag
  done
  for flag in "$@"; do
    case "$flag" in
      --port|-p|--port=*|--agent_port|--agent_port=*|--host|--host=*)
        echo "cluster: cluster.sh gives each server its own $flag" >&2
        exit 2 ;;
      --metrics_port|--metrics_port=*)
        echo "cluster: --metrics_port would be one port for all the servers; each serves /metrics on its" \
             "WebSocket port (node PID PORT)" >&2
        exit 2 ;;
    esac
  done
  mkdir -p "$dir"
  if [ -f "$list" ]; then
    echo "cluster: $list lists processes of a cluster that is up; run '$0 down' first" >&2
    exit 1
  fi
  if listening 127.0.0.1 "$port"; then
    echo "cluster: port $port is in use" >&2
    exit 1
  fi
  : >"$list"
  trap 'stop_all' ERR
  trap 'stop_all; exit 1' INT TERM

  # free ports for each server: its WebSocket port, its agent's, and its API's (with --enable_rest)
  local each=2 ports
  [ -z "$rest" ] || each=3
  ports=($("$python" -c '
import socket, sys
held = [socket.socket() for _ in range(int(sys.argv[1]))]
for s in held:
    s.bind(("127.0.0.1", 0))
print(" ".join(str(s.getsockname()[1]) for s in held))' $((each * n))))

  local i pid p a r extra
  for ((i = 1; i <= n; i++)); do
    p=${ports[$((each * i - each))]}
    a=${ports[$((each * i - each + 1))]}
    r=${ports[$((each * i - 1))]}
    extra=()
    [ -z "$rest" ] || extra=(--rest_port "$r")
    (cd "$root" && exec "$python" run_server.py --host 127.0.0.1 --port "$p" --agent_port "$a" "$@" \
      ${extra[@]+"${extra[@]}"}) >"$dir/node-$i.log" 2>&1 &
    echo "node $! $p $a $r" >>"$list"
  done

  local deadline=$((SECONDS + ${CLUSTER_START_TIMEOUT:-180})) k rest
  while read -r k pid p a r; do
    until listening 127.0.0.1 "$p" && { [ -z "$rest" ] || listening 127.0.0.1 "$r"; }; do
      if ! kill -0 "$pid" 2>/dev/null || [ $SECONDS -ge $deadline ]; then
        echo "cluster: the server on port $p did not start; its log ends:" >&2
        tail -n 20 "$dir/node-$(grep -n "^node $pid " "$list" | cut -d: -f1).log" >&2
        stop_all
        exit 1
      fi
      sleep 0.3
    done
  done <"$list"

  # HAProxy's configuration: deploy/haproxy/haproxy.cfg with these servers between its markers
  local servers="" wait="" apis=""
  i=0
  while read -r k pid p a r; do
    i=$((i + 1))
    # a server's id: the same for its "node" and "rest" lines (the table "rooms" records servers by id)
    servers+="    server node$i 127.0.0.1:$p agent-port $a id $i"$'\n'
    wait+="    server wait$i 127.0.0.1:$p backup no-agent-check id $((1000 + i))"$'\n'
    apis+="    server rest$i 127.0.0.1:$r check port $p agent-port $a id $i"$'\n'
  done <"$list"
  # the API's part only with --enable_rest
  # "retries": one attempt per server that may send the request back, then the last resort (a "wait" line)
  awk -v lines="$servers$wait" -v apis="$apis" -v rest="$rest" -v retries=$((n + 1)) '
    /# servers begin/ { print; printf "%s", lines; skip = 1; next }
    /^    retries [0-9]+$/ && !drop { print "    retries " retries; next }
    /# servers end/ { skip = 0 }
    /^# rest begin/ && rest == "" { drop = 1 }
    /^# rest end/ && drop { drop = 0; next }
    /server-template rest / { if (!drop) printf "%s", apis; next }
    !skip && !drop' "$root/deploy/haproxy/haproxy.cfg" >"$dir/haproxy.cfg"
  export WL_BIND="127.0.0.1:$port" WL_REST_BIND="127.0.0.1:${rest:-0}" WL_HAPROXY_SOCKET="$dir/haproxy.sock"
  haproxy -c -q -f "$dir/haproxy.cfg"
  haproxy -db -f "$dir/haproxy.cfg" >"$dir/haproxy.log" 2>&1 &
  pid=$!
  echo "haproxy $pid $port" >>"$list"
  until listening 127.0.0.1 "$port"; do
    if ! kill -0 "$pid" 2>/dev/null || [ $SECONDS -ge $deadline ]; then
      echo "cluster: haproxy did not start; its log ends:" >&2
      tail -n 20 "$dir/haproxy.log" >&2
      stop_all
      exit 1
    fi
    sleep 0.1
  done
  trap - ERR INT TERM
  while read -r k pid p rest; do echo "$k $pid $p"; done <"$list"
}

case "${1:-}" in
  up) shift; up "$@" ;;
  down) stop_all ;;
  run)
    shift
    up "$@"
    trap 'stop_all; exit 0' INT TERM
    wait
    ;;
  *) usage ;;
esac
