#!/usr/bin/env bash
# Make a docker daemon available on a Debian 12 host (a fresh CI machine or a development host), idempotently:
#   - installs docker.io and debootstrap with apt when they are missing;
#   - starts dockerd in the background when /var/run/docker.sock does not answer (reuses a running dockerd);
#   - waits until `/usr/bin/docker info` works.
# Always /usr/bin/docker (Debian's docker.io client): another client may come first in PATH.
# Usage: images/docker-host.sh            (root; log: $DOCKERD_LOG, default /var/log/opennebula-flower-dockerd.log)
set -euo pipefail

DOCKER=/usr/bin/docker
DOCKERD_LOG=${DOCKERD_LOG:-/var/log/opennebula-flower-dockerd.log}
WAIT_S=${DOCKERD_WAIT_S:-60}

say() { printf 'docker-host: %s\n' "$*"; }

missing=()
[ -x "$DOCKER" ] && command -v dockerd >/dev/null 2>&1 || missing+=(docker.io)
command -v debootstrap >/dev/null 2>&1 || missing+=(debootstrap)
command -v zstd >/dev/null 2>&1 || missing+=(zstd)
if [ ${#missing[@]} -gt 0 ]; then
  [ "$(id -u)" = 0 ] || { say "need root to install: ${missing[*]}" >&2; exit 1; }
  say "installing ${missing[*]} with apt"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -q >/dev/null
  # docker.io's service is not started by apt on hosts without systemd as PID 1; we start dockerd below.
  apt-get install -y -q --no-install-recommends "${missing[@]}" >/dev/null
else
  say "docker.io, debootstrap and zstd already installed"
fi

if "$DOCKER" info >/dev/null 2>&1; then
  say "dockerd already answers ($("$DOCKER" version --format '{{.Server.Version}}'))"
  exit 0
fi

if pid=$(pgrep -x dockerd | head -n1) && [ -n "$pid" ]; then
  say "dockerd (pid $pid) runs but does not answer yet; waiting for it"
else
  # No --bridge=none: dockerd would delete an existing docker0 (see the test-infra notes).
  say "starting dockerd (log: $DOCKERD_LOG)"
  mkdir -p "$(dirname "$DOCKERD_LOG")"
  # containerd is started by dockerd itself when no system containerd answers.
  nohup setsid dockerd >>"$DOCKERD_LOG" 2>&1 </dev/null &
  say "dockerd pid $!"
fi

deadline=$((SECONDS + WAIT_S))
until "$DOCKER" info >/dev/null 2>&1; do
  if [ $SECONDS -ge $deadline ]; then
    say "dockerd did not answer within ${WAIT_S}s; last log lines:" >&2
    tail -n 30 "$DOCKERD_LOG" >&2 || true
    exit 1
  fi
  sleep 0.2
done
say "dockerd answers ($("$DOCKER" version --format '{{.Server.Version}}'), storage $("$DOCKER" info --format '{{.Driver}}'), cgroup $("$DOCKER" info --format '{{.CgroupDriver}} v{{.CgroupVersion}}'))"
