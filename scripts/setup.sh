#!/usr/bin/env bash
# Sets up a fresh machine: system packages, the venv, the llama.cpp wheel (built once for a portable
# instruction set, cached by its build flags), the embedded model (sha256-verified, then run once to
# prove it works on this CPU) and a local Phoenix server (own venv, started; later runs reuse it).
#   --docker      also a Docker engine and the sandbox image
#   --test        everything the test suite needs: --docker and headless Chromium (Phoenix UI test)
#   --no-phoenix  skip Phoenix (traces then go to the JSONL files only)
# Idempotent: a second run only checks.
set -euo pipefail
cd "$(dirname "$0")/.."
WITH_DOCKER=0
WITH_CHROMIUM=0
WITH_PHOENIX=1
for arg in "$@"; do
  case "$arg" in
    --docker) WITH_DOCKER=1 ;;
    --test) WITH_DOCKER=1; WITH_CHROMIUM=1 ;;
    --no-phoenix) WITH_PHOENIX=0 ;;
    *) echo "usage: scripts/setup.sh [--docker] [--test] [--no-phoenix]" >&2; exit 2 ;;
  esac
done

CACHE="${CTXBENCH_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/ctxbench}"
WHEELS="$CACHE/wheels"
PYTHON="${PYTHON:-python3.11}"
command -v "$PYTHON" >/dev/null || PYTHON=python3
LLAMA_VERSION=$(grep -oP '^llama-cpp-python\[server\]==\K.*' requirements.txt)

SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO=sudo
log() { printf '\033[1m[setup +%ss]\033[0m %s\n' "$SECONDS" "$*"; }  # elapsed: phase timings

need_apt=()
command -v bwrap >/dev/null || need_apt+=(bubblewrap)
command -v setpriv >/dev/null || need_apt+=(util-linux)
command -v curl >/dev/null || need_apt+=(curl ca-certificates)
command -v g++ >/dev/null || need_apt+=(g++)  # llama.cpp is compiled here
command -v cmake >/dev/null || need_apt+=(cmake)  # ... llama-server with it
command -v mkfs.ext4 >/dev/null || [ -x /usr/sbin/mkfs.ext4 ] || need_apt+=(e2fsprogs)  # sized /work
command -v "$PYTHON" >/dev/null || need_apt+=(python3)
"$PYTHON" -c 'import ensurepip' 2>/dev/null || need_apt+=(python3-venv)  # Debian splits venv out
if [ ${#need_apt[@]} -gt 0 ]; then
  log "installing ${need_apt[*]}"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${need_apt[@]}" >/dev/null
fi

if [ ! -x .venv/bin/python ]; then
  log "creating .venv with $($PYTHON --version)"
  "$PYTHON" -m venv .venv
fi

# ggml's default (native) build uses every instruction of the build machine's CPU and crashed on
# another one (AVX-512/AMX Xeon: general protection fault on the first token). The fixed AVX2 set
# runs on any x86-64 CPU with AVX2. The flags, version, Python and machine are the cache key, so a
# wheel built with other flags is never reused; pip's own wheel cache ignores CMAKE_ARGS, hence
# --no-cache-dir.
if [ "$(uname -m)" = x86_64 ]; then
  PORTABLE="-DGGML_NATIVE=OFF -DGGML_AVX=ON -DGGML_AVX2=ON -DGGML_FMA=ON -DGGML_F16C=ON -DGGML_BMI2=ON"
else
  PORTABLE="-DGGML_NATIVE=OFF"
fi
LLAMA_CMAKE_ARGS="${LLAMA_CMAKE_ARGS:--DLLAVA_BUILD=OFF $PORTABLE}"
build_key=$(printf '%s|%s|%s|%s' "$LLAMA_VERSION" "$LLAMA_CMAKE_ARGS" "$(uname -m)" \
  "$(.venv/bin/python -c 'import sys; print(sys.version_info[:2])')" | sha256sum | cut -c1-12)
LLAMA_WHEELS="$WHEELS/llama-$build_key"
mkdir -p "$LLAMA_WHEELS"
if ! ls "$LLAMA_WHEELS"/llama_cpp_python-"$LLAMA_VERSION"-*.whl >/dev/null 2>&1; then
  log "building llama-cpp-python $LLAMA_VERSION, portable (once; ~8 min on 2 cores): $LLAMA_CMAKE_ARGS"
  CMAKE_ARGS="$LLAMA_CMAKE_ARGS" .venv/bin/pip wheel -q --no-cache-dir --no-deps \
    "llama-cpp-python==$LLAMA_VERSION" -w "$LLAMA_WHEELS.partial"
  mv "$LLAMA_WHEELS.partial"/llama_cpp_python-*.whl "$LLAMA_WHEELS"/ && rm -rf "$LLAMA_WHEELS.partial"
fi

log "installing requirements"
.venv/bin/pip install -q --disable-pip-version-check --no-cache-dir --find-links "$LLAMA_WHEELS" -r requirements.txt
# A venv that holds a llama.cpp build with other flags gets this one.
if [ "$(cat .venv/.llama-build-key 2>/dev/null)" != "$build_key" ]; then
  .venv/bin/pip install -q --disable-pip-version-check --no-deps --force-reinstall "$LLAMA_WHEELS"/llama_cpp_python-*.whl
  echo "$build_key" > .venv/.llama-build-key
fi
.venv/bin/python -c "import llama_cpp, openai, anndata, sklearn" # fail here, not mid-run
log "llama-server, built from the same llama.cpp source with the same flags (once)"
server=$(bash scripts/build_llama_server.sh "$CACHE" "$LLAMA_CMAKE_ARGS")
ln -sf "$server" .venv/bin/llama-server

log "the sandbox's own packages (analysis packages only, bundled datasets removed)"
bash scripts/sandbox_env.sh
log "fetching the default model"
.venv/bin/python scripts/fetch_model.py
log "real single-cell data kept from pinned scirpy/scFates wheels (sha256-checked; not installed)"
.venv/bin/python scripts/fetch_wheel_data.py
log "checking that the model runs on this CPU (the harness's own server, a few tokens)"
.venv/bin/python scripts/check_model.py
if [ "$WITH_DOCKER" -eq 1 ]; then
  log "docker engine and sandbox image"
  bash scripts/docker_engine.sh
  bash scripts/docker_image.sh
fi
if [ "$WITH_CHROMIUM" -eq 1 ] && ! command -v chromium >/dev/null; then
  log "headless chromium (the Phoenix UI test)"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq chromium >/dev/null
fi
if [ "$WITH_PHOENIX" -eq 1 ]; then
  log "Phoenix server"
  bash scripts/phoenix.sh start
fi
log "ready"
