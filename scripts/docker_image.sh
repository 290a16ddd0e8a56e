#!/usr/bin/env bash
# Builds the Docker sandbox image, skipped when an image for the same Dockerfile and pins exists.
#   BASE=python:3.11-slim scripts/docker_image.sh   use a pullable base
#   scripts/docker_image.sh                         offline: debootstrap a Debian base, docker import it
set -euo pipefail
cd "$(dirname "$0")/.."
OFFLINE_BASE=ctxbench-base:bookworm

ctx=$(mktemp -d)
trap 'rm -rf "$ctx"' EXIT
bash scripts/sandbox_requirements.sh > "$ctx/sandbox-requirements.txt"
cp sandbox_image/Dockerfile sandbox_image/prune_datasets.py benchmarks/sources_manifest.json "$ctx/"
mkdir "$ctx/certs"
cp /usr/local/share/ca-certificates/*.crt "$ctx/certs/" 2>/dev/null || true

BASE="${BASE:-}"
tag=$(cat "$ctx/Dockerfile" "$ctx/sandbox-requirements.txt" "$ctx/prune_datasets.py" "$ctx/sources_manifest.json" \
  <(echo "$BASE") | sha256sum | cut -c1-12)
IMAGE="${IMAGE:-ctxbench-sandbox:$tag}"
if docker image inspect "$IMAGE" >/dev/null 2>&1; then
  echo "[image] $IMAGE already built"
else
  if [ -z "$BASE" ]; then
    if ! docker image inspect "$OFFLINE_BASE" >/dev/null 2>&1; then
      if ! command -v debootstrap >/dev/null; then
        apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq debootstrap >/dev/null
      fi
      mirror=$(grep -hoP '^URIs:\s*\K\S+' /etc/apt/sources.list.d/*.sources 2>/dev/null | grep -v security | head -1)
      mirror=${mirror:-$(grep -hoP '^deb\s+\K\S+' /etc/apt/sources.list 2>/dev/null | head -1)}
      echo "[image] debootstrap bookworm from $mirror (~80 s)"
      rootfs="$ctx/rootfs"
      debootstrap --variant=minbase bookworm "$rootfs" "$mirror" >"$ctx/debootstrap.log" 2>&1 \
        || { tail -20 "$ctx/debootstrap.log" >&2; exit 1; }
      tar -C "$rootfs" -c . | docker import - "$OFFLINE_BASE" >/dev/null
      rm -rf "$rootfs"
    fi
    BASE=$OFFLINE_BASE
  fi
  echo "[image] building $IMAGE from $BASE (~4 min)"
  DOCKER_BUILDKIT=0 docker build -q --build-arg "BASE=$BASE" -t "$IMAGE" "$ctx" >/dev/null
fi
docker tag "$IMAGE" ctxbench-sandbox:latest
echo "[image] ctxbench-sandbox:latest -> $IMAGE"
