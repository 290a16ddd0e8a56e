#!/usr/bin/env bash
# A local Arize Phoenix server, offline, on loopback, in its own venv (importing the server in the
# app venv would make `import phoenix.otel` take ~20 s).
#   scripts/phoenix.sh start    install if needed, start, wait until healthy, print the UI address
#   scripts/phoenix.sh status | stop | install
set -euo pipefail
CACHE="${CTXBENCH_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/ctxbench}"
VENV="$CACHE/phoenix-venv"
DATA="$CACHE/phoenix-data"
PORT="${PHOENIX_PORT:-6006}"
URL="http://127.0.0.1:$PORT"
VERSION=20.26.1
PY="${PYTHON:-python3.11}"; command -v "$PY" >/dev/null || PY=python3

healthy() { curl -sf -m 2 "$URL/healthz" >/dev/null 2>&1; }

install() {
  if [ ! -x "$VENV/bin/phoenix" ]; then
    echo "[phoenix] installing arize-phoenix $VERSION into $VENV (~2.5 min)"
    "$PY" -m venv "$VENV"
    "$VENV/bin/pip" install -q --disable-pip-version-check "arize-phoenix==$VERSION"
  fi
}

start() {
  if healthy; then echo "Phoenix UI: $URL (already running)"; return 0; fi
  install
  mkdir -p "$DATA"
  echo "[phoenix] starting (40-70 s on 2 cores); log: $DATA/server.log"
  # gRPC (4317) is disabled so that nothing listens beyond loopback; spans come over HTTP on $PORT.
  PHOENIX_WORKING_DIR="$DATA" PHOENIX_HOST=127.0.0.1 PHOENIX_PORT="$PORT" PHOENIX_GRPC_PORT=0 \
    PHOENIX_TELEMETRY_ENABLED=false PHOENIX_ALLOW_EXTERNAL_RESOURCES=false \
    nohup "$VENV/bin/phoenix" serve >"$DATA/server.log" 2>&1 &
  echo $! >"$DATA/server.pid"
  for _ in $(seq 1 240); do
    if healthy; then echo "Phoenix UI: $URL"; return 0; fi
    if ! kill -0 "$(cat "$DATA/server.pid")" 2>/dev/null; then
      echo "[phoenix] the server exited; last lines of $DATA/server.log:" >&2; tail -20 "$DATA/server.log" >&2; return 1
    fi
    sleep 0.5
  done
  echo "[phoenix] not healthy after 120 s; see $DATA/server.log" >&2
  return 1
}

stop() {
  if [ -f "$DATA/server.pid" ] && kill "$(cat "$DATA/server.pid")" 2>/dev/null; then echo "[phoenix] stopped"; fi
  rm -f "$DATA/server.pid"
}

case "${1:-start}" in
  start) start ;;
  stop) stop ;;
  install) install ;;
  status) if healthy; then echo "Phoenix UI: $URL (healthy)"; else echo "Phoenix is not running"; exit 1; fi ;;
  *) echo "usage: scripts/phoenix.sh start|status|stop|install" >&2; exit 2 ;;
esac
