#!/usr/bin/env bash
# Builds llama.cpp's own server, `llama-server`, from the llama.cpp source vendored in the pinned
# llama-cpp-python sdist (the same llama.cpp as the Python package), with the same portable
# instruction set, once per (version, flags, machine): later runs only check it is there.
#   scripts/build_llama_server.sh CACHE_DIR "CMAKE FLAGS"   -> prints the binary's path
# Why llama-server: it reports the prompt tokens its KV cache served (usage.prompt_tokens_details),
# parses the model's tool calls with its own chat template (--jinja), and keeps a prefix per slot.
# No web UI (its assets would be downloaded), no OpenSSL (loopback only), nothing fetched at run time.
set -euo pipefail
cd "$(dirname "$0")/.."
CACHE="$1"
FLAGS="$2"
VERSION=$(grep -oP '^llama-cpp-python\[server\]==\K.*' requirements.txt)
key=$(printf '%s|%s|%s' "$VERSION" "$FLAGS" "$(uname -m)" | sha256sum | cut -c1-12)
OUT="$CACHE/llama-server-$key"
if [ -x "$OUT/llama-server" ]; then
  echo "$OUT/llama-server"
  exit 0
fi
echo "building llama-server $VERSION into $OUT (9-13 min on 2 cores): $FLAGS" >&2
command -v cmake >/dev/null || { echo "cmake is needed to build llama-server (apt-get install cmake)" >&2; exit 1; }
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
.venv/bin/pip download -q --disable-pip-version-check --no-deps --no-binary :all: \
  "llama-cpp-python==$VERSION" -d "$WORK" >&2
tar xzf "$WORK"/llama_cpp_python-"$VERSION".tar.gz -C "$WORK"
SRC="$WORK/llama_cpp_python-$VERSION/vendor/llama.cpp"
# shellcheck disable=SC2086  # FLAGS is a list of -D options
cmake -S "$SRC" -B "$WORK/build" -DCMAKE_BUILD_TYPE=Release -DBUILD_SHARED_LIBS=OFF \
  -DLLAMA_BUILD_SERVER=ON -DLLAMA_BUILD_TOOLS=ON -DLLAMA_BUILD_TESTS=OFF -DLLAMA_BUILD_EXAMPLES=OFF \
  -DLLAMA_USE_PREBUILT_UI=OFF -DLLAMA_BUILD_UI=OFF -DLLAMA_OPENSSL=OFF -DGGML_CCACHE=OFF $FLAGS >&2
cmake --build "$WORK/build" --target llama-server -j "$(nproc)" >&2
mkdir -p "$OUT.partial"
cp "$WORK/build/bin/llama-server" "$OUT.partial/"
rm -rf "$OUT" && mv "$OUT.partial" "$OUT"
echo "$OUT/llama-server"
