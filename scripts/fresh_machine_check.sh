#!/usr/bin/env bash
# README command 1 on a fresh machine: a clean Debian 12 container built offline (the debootstrap base
# that scripts/docker_image.sh makes), a clean export of HEAD, nothing cached from the host. Prints the
# wall time of each setup phase and of the episode, then checks the Phoenix link the run printed.
#   bash scripts/fresh_machine_check.sh            (~25 min on 2 cores; needs Docker)
# bubblewrap inside Docker needs what --privileged gives: namespaces, mounts, an unmasked /proc. Where
# the host itself runs in a container without CAP_SYS_RESOURCE, --privileged fails ("unable to apply
# caps"), so the same is asked for explicitly, minus that one capability. Only this workplace's
# plumbing is carried in: the CA certificates its TLS-intercepting egress needs, and apt's settings.
set -euo pipefail
cd "$(dirname "$0")/.."
BASE_IMAGE=ctxbench-base:bookworm
NESTED_SANDBOX_OPTS=(--cap-add ALL --cap-drop SYS_RESOURCE --security-opt seccomp=unconfined
  --security-opt apparmor=unconfined --security-opt systempaths=unconfined)
bash scripts/docker_engine.sh
docker image inspect "$BASE_IMAGE" >/dev/null 2>&1 || bash scripts/docker_image.sh

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
mkdir -p "$work/repo" "$work/certs" "$work/apt"
git archive HEAD | tar -x -C "$work/repo"
cp /usr/local/share/ca-certificates/*.crt "$work/certs/" 2>/dev/null || true
cp /etc/apt/apt.conf.d/99* "$work/apt/" 2>/dev/null || true

cat > "$work/inside.sh" <<'INSIDE'
set -euo pipefail
t0=$SECONDS
# The workplace's plumbing (a fresh machine of the project's kind has it already).
cp /in/apt/* /etc/apt/apt.conf.d/ 2>/dev/null || true
apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq ca-certificates >/dev/null
cp /in/certs/*.crt /usr/local/share/ca-certificates/ 2>/dev/null && update-ca-certificates >/dev/null
export PIP_CERT=/etc/ssl/certs/ca-certificates.crt SSL_CERT_FILE=/etc/ssl/certs/ca-certificates.crt
echo "[check +$((SECONDS - t0))s] plumbing done"
cp -r /in/repo /root/ctxbench && cd /root/ctxbench
# README command 1, verbatim:
bash scripts/setup.sh && .venv/bin/python script.py --config config.json | tee /tmp/run.log
echo "[check +$((SECONDS - t0))s] episode done"
link=$(grep -oP '^phoenix \K\S+' /tmp/run.log || true)
[ -n "$link" ] || { echo "[check] FAIL: no Phoenix link printed"; exit 1; }
code=$(curl -s -o /dev/null -w '%{http_code}' "$link")
echo "[check] Phoenix page $link -> HTTP $code"
[ "$code" = 200 ]
INSIDE

started=$SECONDS
set +e
docker run --rm "${NESTED_SANDBOX_OPTS[@]}" -v "$work:/in:ro" "$BASE_IMAGE" bash /in/inside.sh 2>&1 \
  | while IFS= read -r line; do printf '%6d %s\n' "$((SECONDS - started))" "$line"; done | tee "$work/out.log"
status=${PIPESTATUS[0]}
set -e
echo
echo "== phases: seconds from each mark to the next =="
grep -a -E '\[(setup|check) \+' "$work/out.log" | sed 's/\x1b\[[0-9;]*m//g' | awk '
  { t = $1 + 0; $1 = ""; if (NR > 1) printf "%6d s %s\n", t - prev_t, prev; prev = $0; prev_t = t }
  END { printf "  (last mark at %d s:%s)\n", prev_t, prev }'
echo "total: $((SECONDS - started)) s, exit $status"
exit "$status"
