#!/usr/bin/env bash
# The bubblewrap sandbox's Python packages: sandbox_image/packages.txt at the pins of requirements.txt,
# installed into a folder of their own (~/.cache/ctxbench/sandbox-site-packages, bound read-only at
# /opt/site-packages), pruned of every bundled dataset. Rebuilt when the list, pins, prune script or
# sources manifest change; skipped otherwise.
set -euo pipefail
cd "$(dirname "$0")/.."
CACHE="${CTXBENCH_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/ctxbench}"
TARGET="$CACHE/sandbox-site-packages"
reqs=$(mktemp)
trap 'rm -f "$reqs"' EXIT
bash scripts/sandbox_requirements.sh > "$reqs"
key=$(cat "$reqs" sandbox_image/prune_datasets.py benchmarks/sources_manifest.json \
  <(.venv/bin/python -c 'import sys; print(sys.version)') | sha256sum | cut -c1-16)
if [ "$(cat "$TARGET/.key" 2>/dev/null)" = "$key" ]; then
  echo "[sandbox-env] $TARGET up to date"
  exit 0
fi
echo "[sandbox-env] installing the analysis packages into $TARGET (~1 min)"
rm -rf "$TARGET.partial"
.venv/bin/pip install -q --disable-pip-version-check --no-cache-dir --target "$TARGET.partial" -r "$reqs"
.venv/bin/python sandbox_image/prune_datasets.py "$TARGET.partial" benchmarks/sources_manifest.json
echo "$key" > "$TARGET.partial/.key"
rm -rf "$TARGET" && mv "$TARGET.partial" "$TARGET"
echo "[sandbox-env] ready: $(du -sh "$TARGET" | cut -f1)"
