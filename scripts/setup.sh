#!/usr/bin/env bash
# Sets up a fresh machine: system packages, the venv, the llama.cpp wheel (built once, cached) and
# the embedded model (sha256-verified). With --docker, also a Docker engine and the sandbox image;
# with --phoenix, a local Phoenix server (own venv, started) and headless Chromium for UI checks.
# Idempotent: a second run only checks.
set -euo pipefail
cd "$(dirname "$0")/.."
WITH_DOCKER=0
WITH_PHOENIX=0
for arg in "$@"; do
  case "$arg" in
    --docker) WITH_DOCKER=1 ;;
    --phoenix) WITH_PHOENIX=1 ;;
    *) echo "usage: scripts/setup.sh [--docker] [--phoenix]" >&2; exit 2 ;;
  esac
done

CACHE="${CTXBENCH_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/ctxbench}"
WHEELS="$CACHE/wheels"
PYTHON="${PYTHON:-python3.11}"
command -v "$PYTHON" >/dev/null || PYTHON=python3
LLAMA_VERSION=$(grep -oP '^llama-cpp-python\[server\]==\K.*' requirements.txt)

SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO=sudo
log() { printf '\033[1m[setup]\033[0m %s\n' "$*"; }

need_apt=()
command -v bwrap >/dev/null || need_apt+=(bubblewrap)
command -v setpriv >/dev/null || need_apt+=(util-linux)
if [ ${#need_apt[@]} -gt 0 ]; then
  log "installing ${need_apt[*]}"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${need_apt[@]}" >/dev/null
fi

if [ ! -x .venv/bin/python ]; then
  log "creating .venv with $($PYTHON --version)"
  "$PYTHON" -m venv .venv
fi

mkdir -p "$WHEELS"
if ! ls "$WHEELS"/llama_cpp_python-"$LLAMA_VERSION"-*.whl >/dev/null 2>&1; then
  log "building llama-cpp-python $LLAMA_VERSION (once; ~4-8 min on 2 cores)"
  CMAKE_ARGS="-DLLAVA_BUILD=OFF" .venv/bin/pip wheel -q --no-deps "llama-cpp-python==$LLAMA_VERSION" -w "$WHEELS"
fi

log "installing requirements"
.venv/bin/pip install -q --disable-pip-version-check --find-links "$WHEELS" -r requirements.txt
.venv/bin/python -c "import llama_cpp, openai, anndata, sklearn" # fail here, not mid-run

log "fetching the default model"
.venv/bin/python scripts/fetch_model.py
if [ "$WITH_DOCKER" -eq 1 ]; then
  log "docker engine and sandbox image"
  bash scripts/docker_engine.sh
  bash scripts/docker_image.sh
fi
if [ "$WITH_PHOENIX" -eq 1 ]; then
  log "Phoenix server and chromium"
  command -v chromium >/dev/null || { $SUDO apt-get update -qq; DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq chromium >/dev/null; }
  bash scripts/phoenix.sh start
fi
log "ready"
