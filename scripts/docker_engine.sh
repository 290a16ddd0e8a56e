#!/usr/bin/env bash
# Makes sure a Docker engine answers: installs docker.io if the CLI or daemon is missing, and starts
# exactly one dockerd (a second daemon would delete the first one's docker0 bridge).
set -euo pipefail
SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO=sudo

if ! command -v dockerd >/dev/null; then
  echo "[docker] installing docker.io"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq docker.io >/dev/null
fi
if docker info >/dev/null 2>&1; then
  exit 0
fi
if ! pgrep -x dockerd >/dev/null; then
  echo "[docker] starting dockerd"
  $SUDO sh -c 'nohup dockerd >/var/log/ctxbench-dockerd.log 2>&1 &'
fi
for _ in $(seq 1 60); do
  docker info >/dev/null 2>&1 && exit 0
  sleep 0.5
done
echo "[docker] the engine did not answer within 30 s; see /var/log/ctxbench-dockerd.log" >&2
exit 1
