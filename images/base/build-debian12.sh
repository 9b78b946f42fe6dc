#!/usr/bin/env bash
# Build the Debian 12 (bookworm) systemd base image local/debian12-systemd:latest with debootstrap, no registry.
# Idempotent and cached:
#   - the image carries the label org.opennebula.flower.base-key=<key>, where <key> hashes this script, the
#     package list and the Debian mirror; when local/debian12-systemd:latest has that label, nothing is done;
#   - otherwise the rootfs tar, cached as ${XDG_CACHE_HOME:-$HOME/.cache}/opennebula-flower/debian12-systemd-<key>.tar.zst,
#     is re-imported; only without it does debootstrap run (about a minute).
# The image runs systemd as PID 1 with the flags in tests/appliance/containers.py (test-infra.md §2.2); it has
# no STOPSIGNAL (docker import cannot set it): pass --stop-signal SIGRTMIN+3 at run time.
# Usage (root, with docker and debootstrap: images/docker-host.sh):
#   images/base/build-debian12.sh            # FORCE=1 rebuilds the rootfs; IMAGE=... changes the tag
set -euo pipefail

DOCKER=/usr/bin/docker
IMAGE=${IMAGE:-local/debian12-systemd:latest}
CACHE_DIR=${XDG_CACHE_HOME:-$HOME/.cache}/opennebula-flower
SUITE=bookworm
# Base packages: what a systemd container needs, what Ansible needs to run locally (python3, python3-apt,
# python3-venv) and what the appliances use (nftables, nginx-light); optional ones are dropped when the mirror
# lacks them.
PACKAGES=(python3 python3-venv python3-apt systemd systemd-sysv dbus sudo iproute2 procps iputils-ping ca-certificates)
OPTIONAL_PACKAGES=(nftables nginx-light)
# Units that cannot work in a container (no ttys, no udev, no kernel modules, read-only /sys, ...).
MASKED_UNITS=(getty@tty1.service console-getty.service systemd-udevd.service systemd-udevd-control.socket
  systemd-udevd-kernel.socket systemd-modules-load.service systemd-remount-fs.service sys-kernel-config.mount
  sys-kernel-debug.mount sys-kernel-tracing.mount systemd-firstboot.service systemd-journald-audit.socket
  systemd-networkd-wait-online.service)

say() { printf 'build-debian12: %s\n' "$*"; }
t0=$SECONDS

# The host's Debian mirror (deb822 .sources first, then one-line sources.list); deb.debian.org otherwise.
host_mirror() { # $1 = debian | debian-security
  local want=$1 files=() f
  for f in /etc/apt/sources.list.d/*.sources; do [ -f "$f" ] && files+=("$f"); done
  if [ ${#files[@]} -gt 0 ]; then
    awk -v want="$want" '
      BEGIN { RS=""; FS="\n" }
      {
        uris=""; suites=""; types=""
        for (i = 1; i <= NF; i++) {
          if ($i ~ /^URIs:/)   { uris = $i;   sub(/^URIs:[ \t]*/, "", uris) }
          if ($i ~ /^Suites:/) { suites = $i; sub(/^Suites:[ \t]*/, "", suites) }
          if ($i ~ /^Types:/)  { types = $i }
        }
        if (types !~ /deb( |$)/ && types !~ /deb$/) next
        split(uris, u, /[ \t]+/)
        if (want == "debian-security" && suites ~ /bookworm-security/) { print u[1]; exit }
        if (want == "debian" && suites ~ /(^|[ \t])bookworm([ \t]|$)/) { print u[1]; exit }
      }' "${files[@]}"
  fi
  for f in /etc/apt/sources.list /etc/apt/sources.list.d/*.list; do
    [ -f "$f" ] || continue
    if [ "$want" = debian-security ]; then
      awk '$1 == "deb" && $0 ~ /bookworm-security/ { for (i = 2; i <= NF; i++) if ($i ~ /^[a-z]+:\/\//) { print $i; exit } }' "$f"
    else
      awk '$1 == "deb" && $0 ~ /[ \t]bookworm[ \t]/ { for (i = 2; i <= NF; i++) if ($i ~ /^[a-z]+:\/\//) { print $i; exit } }' "$f"
    fi
  done
}
MIRROR=${DEBIAN_MIRROR:-$(host_mirror debian | head -n1)}
MIRROR=${MIRROR:-http://deb.debian.org/debian}
SECURITY_MIRROR=${DEBIAN_SECURITY_MIRROR:-$(host_mirror debian-security | head -n1)}
SECURITY_MIRROR=${SECURITY_MIRROR:-http://deb.debian.org/debian-security}

KEY=$( { cat "$0"; echo "$MIRROR $SECURITY_MIRROR"; } | sha256sum | cut -c1-16)
LABEL=org.opennebula.flower.base-key
TAR=$CACHE_DIR/debian12-systemd-$KEY.tar.zst
import_changes=(--change 'CMD ["/lib/systemd/systemd"]' --change 'ENV container=docker'
  --change "LABEL $LABEL=$KEY")

have=$("$DOCKER" image inspect --format "{{ index .Config.Labels \"$LABEL\" }}" "$IMAGE" 2>/dev/null || true)
if [ "$have" = "$KEY" ] && [ -z "${FORCE:-}" ]; then
  say "$IMAGE is up to date (key $KEY); nothing to do"
  exit 0
fi

if [ -f "$TAR" ] && [ -z "${FORCE:-}" ]; then
  say "importing the cached rootfs $TAR"
  zstd -dc -q "$TAR" | "$DOCKER" import "${import_changes[@]}" - "$IMAGE" >/dev/null
  say "imported $IMAGE (key $KEY) in $((SECONDS - t0))s"
  exit 0
fi

[ "$(id -u)" = 0 ] || { say "debootstrap needs root" >&2; exit 1; }
command -v debootstrap >/dev/null || { say "debootstrap is missing (run images/docker-host.sh)" >&2; exit 1; }
command -v zstd >/dev/null || { say "zstd is missing (run images/docker-host.sh)" >&2; exit 1; }

mkdir -p "$CACHE_DIR"
WORK=$(mktemp -d "$CACHE_DIR/debian12-build.XXXXXX")
ROOTFS=$WORK/rootfs
cleanup() {
  # Never leave anything mounted under the work directory before deleting it.
  for m in proc sys dev/pts dev; do if mountpoint -q "$ROOTFS/$m" 2>/dev/null; then umount -l "$ROOTFS/$m" || true; fi; done
  rm -rf --one-file-system "$WORK"
}
trap cleanup EXIT

include=("${PACKAGES[@]}")
for p in "${OPTIONAL_PACKAGES[@]}"; do
  if apt-cache show "$p" >/dev/null 2>&1 || [ -n "${ASSUME_OPTIONAL:-}" ]; then include+=("$p"); else say "skipping $p (not known to apt here)"; fi
done
say "debootstrap $SUITE from $MIRROR (${include[*]})"
debootstrap --variant=minbase --include="$(IFS=,; echo "${include[*]}")" "$SUITE" "$ROOTFS" "$MIRROR" \
  >"$WORK/debootstrap.log" 2>&1 || { tail -n 40 "$WORK/debootstrap.log" >&2; exit 1; }
say "debootstrap done in $((SECONDS - t0))s"

cat >"$ROOTFS/etc/apt/sources.list" <<EOF
deb $MIRROR $SUITE main
deb $MIRROR $SUITE-updates main
deb $SECURITY_MIRROR $SUITE-security main
EOF
: >"$ROOTFS/etc/machine-id"
rm -f "$ROOTFS/var/lib/dbus/machine-id"
for u in "${MASKED_UNITS[@]}"; do ln -sf /dev/null "$ROOTFS/etc/systemd/system/$u"; done
ln -sf /lib/systemd/system/multi-user.target "$ROOTFS/etc/systemd/system/default.target"
# The appliance roles decide whether nginx runs; the base image does not serve port 80.
rm -f "$ROOTFS/etc/systemd/system/multi-user.target.wants/nginx.service"
echo debian12 >"$ROOTFS/etc/hostname"
# apt caches and lists, logs of the bootstrap: not part of the image.
chroot "$ROOTFS" apt-get clean
rm -rf "$ROOTFS"/var/lib/apt/lists/* "$ROOTFS"/var/cache/apt/*.bin "$ROOTFS"/var/log/*.log \
  "$ROOTFS"/var/log/apt/* "$ROOTFS"/var/cache/debconf/*-old "$ROOTFS"/tmp/* "$ROOTFS"/root/.bash_history
mkdir -p "$ROOTFS/var/lib/apt/lists/partial"

say "packing the rootfs into $TAR"
tar --numeric-owner --xattrs -C "$ROOTFS" -cf - . | zstd -q -T0 -10 -o "$TAR.part"
mv -f "$TAR.part" "$TAR"
# Older cached rootfs of this image are stale now.
find "$CACHE_DIR" -maxdepth 1 -name 'debian12-systemd-*.tar.zst' ! -name "$(basename "$TAR")" -delete
zstd -dc -q "$TAR" | "$DOCKER" import "${import_changes[@]}" - "$IMAGE" >/dev/null
say "built and imported $IMAGE (key $KEY, $(du -h "$TAR" | cut -f1) cached) in $((SECONDS - t0))s"
