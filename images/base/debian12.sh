#!/usr/bin/env bash
# The Debian 12 (bookworm) base of every appliance image, from Debian packages only (debootstrap, no registry),
# in the form each Packer builder starts from:
#   docker  the systemd container image local/debian12-systemd:latest (packer/appliance.pkr.hcl's docker source):
#           systemd as PID 1 with the flags of tests/appliance/containers.py (test-infra.md §2.2), the units that
#           cannot work in a container masked. docker import cannot set STOPSIGNAL: pass --stop-signal SIGRTMIN+3.
#   qcow2   a bootable disk (the qemu source's base disk in CI; production starts from the Ubuntu 24.04 cloud image):
#           the cloud kernel, one MBR partition (ext4) with EXTLINUX, DHCP on any NIC (systemd-networkd), the
#           serial console, the root partition grown to the disk at every boot (growpart, resize2fs), and root
#           logging in over SSH with the key generated next to the disk only (packer/appliance.yml removes it).
# Both hold what Ansible needs on the machine (python3, python3-apt, python3-venv) and what the appliances use
# (nftables, nginx-light, not enabled: the appliance role decides).
#
# Cached by a key over this script, the output's settings and the Debian mirrors; a second run does nothing:
#   docker  the image's label org.opennebula.flower.base-key; the rootfs tar is kept as
#           ${XDG_CACHE_HOME:-$HOME/.cache}/opennebula-flower/debian12-systemd-<key>.tar.zst and re-imported
#   qcow2   ${XDG_CACHE_HOME:-$HOME/.cache}/opennebula-flower/debian12-qcow2-<key>/ (disk.qcow2, packer_ed25519,
#           packer_ed25519.pub, KEY)
# The last line of stdout is the image name (docker) or that directory (qcow2); progress goes to stderr.
# Usage (root; images/docker-host.sh and images/host-packages.sh install what it needs):
#   images/base/debian12.sh docker|qcow2     FORCE=1 rebuilds; BASE_DISK_SIZE (default 3G) sizes the disk
set -euo pipefail

DOCKER=/usr/bin/docker
CACHE_DIR=${XDG_CACHE_HOME:-$HOME/.cache}/opennebula-flower
SUITE=bookworm
IMAGE=local/debian12-systemd:latest
LABEL=org.opennebula.flower.base-key
DISK_SIZE=${BASE_DISK_SIZE:-3G}
PACKAGES=(systemd systemd-sysv dbus python3 python3-venv python3-apt sudo iproute2 procps ca-certificates nftables
  nginx-light)
DOCKER_PACKAGES=(iputils-ping)
QCOW2_PACKAGES=(linux-image-cloud-amd64 initramfs-tools udev kmod openssh-server e2fsprogs cloud-guest-utils fdisk)
# Units that cannot work in a container (no ttys, no udev, no kernel modules, read-only /sys, ...).
MASKED_UNITS=(getty@tty1.service console-getty.service systemd-udevd.service systemd-udevd-control.socket
  systemd-udevd-kernel.socket systemd-modules-load.service systemd-remount-fs.service sys-kernel-config.mount
  sys-kernel-debug.mount sys-kernel-tracing.mount systemd-firstboot.service systemd-journald-audit.socket
  systemd-networkd-wait-online.service)

output=${1:-}
case $output in docker|qcow2) ;; *) sed -n '2,22p' "$0" >&2; exit 2 ;; esac
say() { printf 'debian12[%s]: %s\n' "$output" "$*" >&2; }
t0=$SECONDS

# The host's Debian mirrors (what apt here uses), deb.debian.org otherwise.
# shellcheck disable=SC2016  # $(...) are apt's format fields
mirror_of() { apt-get indextargets --format '$(REPO_URI) $(CODENAME)' 2>/dev/null | awk -v c="$1" '$2 == c { print $1; exit }'; }
MIRROR=${DEBIAN_MIRROR:-$(mirror_of "$SUITE")}
MIRROR=${MIRROR:-http://deb.debian.org/debian/}
SECURITY_MIRROR=${DEBIAN_SECURITY_MIRROR:-$(mirror_of "$SUITE-security")}
SECURITY_MIRROR=${SECURITY_MIRROR:-http://deb.debian.org/debian-security/}

settings="$output $MIRROR $SECURITY_MIRROR"
[ "$output" = docker ] || settings="$settings $DISK_SIZE"
KEY=$( { cat "$0"; echo "$settings"; } | sha256sum | cut -c1-16)
TAR=$CACHE_DIR/debian12-systemd-$KEY.tar.zst
OUT=$CACHE_DIR/debian12-qcow2-$KEY
import_changes=(--change 'CMD ["/lib/systemd/systemd"]' --change 'ENV container=docker' --change "LABEL $LABEL=$KEY")

if [ -z "${FORCE:-}" ]; then
  if [ "$output" = docker ]; then
    if [ "$("$DOCKER" image inspect --format "{{ index .Config.Labels \"$LABEL\" }}" "$IMAGE" 2>/dev/null)" = "$KEY" ]; then
      say "$IMAGE is up to date (key $KEY)"; echo "$IMAGE"; exit 0
    fi
    if [ -f "$TAR" ]; then
      zstd -dc -q "$TAR" | "$DOCKER" import "${import_changes[@]}" - "$IMAGE" >/dev/null
      say "imported $IMAGE (key $KEY) from the cached rootfs $TAR in $((SECONDS - t0))s"; echo "$IMAGE"; exit 0
    fi
  elif [ -f "$OUT/KEY" ] && [ "$(cat "$OUT/KEY")" = "$KEY" ]; then
    say "$OUT is up to date (key $KEY)"; echo "$OUT"; exit 0
  fi
fi

[ "$(id -u)" = 0 ] || { say "debootstrap needs root"; exit 1; }
needed=(debootstrap zstd); [ "$output" = docker ] || needed=(debootstrap sfdisk extlinux qemu-img losetup)
for cmd in "${needed[@]}"; do
  command -v "$cmd" >/dev/null || { say "$cmd is missing (run images/docker-host.sh and images/host-packages.sh)"; exit 1; }
done

mkdir -p "$CACHE_DIR"
WORK=$(mktemp -d "$CACHE_DIR/debian12-build.XXXXXX")
ROOTFS=$WORK/rootfs MNT=$WORK/mnt LOOP=""
cleanup() {
  # Never leave anything mounted under the work directory before deleting it.
  for m in "$MNT" "$ROOTFS/proc" "$ROOTFS/sys" "$ROOTFS/dev/pts" "$ROOTFS/dev"; do
    if mountpoint -q "$m" 2>/dev/null; then umount -l "$m" || true; fi
  done
  [ -z "$LOOP" ] || losetup -d "$LOOP" 2>/dev/null || true
  rm -rf --one-file-system "$WORK"
}
trap cleanup EXIT

# The root file system both outputs share.
include=("${PACKAGES[@]}")
if [ "$output" = docker ]; then include+=("${DOCKER_PACKAGES[@]}"); else include+=("${QCOW2_PACKAGES[@]}"); fi
say "debootstrap $SUITE from $MIRROR"
debootstrap --variant=minbase --include="$(IFS=,; echo "${include[*]}")" "$SUITE" "$ROOTFS" "$MIRROR" \
  >"$WORK/debootstrap.log" 2>&1 || { tail -n 40 "$WORK/debootstrap.log" >&2; exit 1; }
say "debootstrap done ($((SECONDS - t0))s)"
cat >"$ROOTFS/etc/apt/sources.list" <<EOF
deb $MIRROR $SUITE main
deb $MIRROR $SUITE-updates main
deb $SECURITY_MIRROR $SUITE-security main
EOF
echo debian12 >"$ROOTFS/etc/hostname"
# Every machine made from the image gets its own machine id at first boot.
: >"$ROOTFS/etc/machine-id"
rm -f "$ROOTFS/var/lib/dbus/machine-id"
ln -sf /lib/systemd/system/multi-user.target "$ROOTFS/etc/systemd/system/default.target"
rm -f "$ROOTFS/etc/systemd/system/multi-user.target.wants/nginx.service"

container_rootfs() {
  for u in "${MASKED_UNITS[@]}"; do ln -sf /dev/null "$ROOTFS/etc/systemd/system/$u"; done
}

vm_rootfs() {
  echo 'LABEL=rootfs / ext4 errors=remount-ro 0 1' >"$ROOTFS/etc/fstab"
  printf '[Match]\nName=en* eth*\n\n[Network]\nDHCP=ipv4\n' >"$ROOTFS/etc/systemd/network/80-dhcp.network"
  ln -sf /lib/systemd/system/systemd-networkd.service \
    "$ROOTFS/etc/systemd/system/multi-user.target.wants/systemd-networkd.service"
  cat >"$ROOTFS/usr/local/sbin/grow-root" <<'EOF'
#!/bin/sh
# Grow the root partition to the end of its disk (growpart exits 1 when there is nothing to grow), then its ext4.
set -eu
part=$(findmnt -n -o SOURCE /)
rc=0
growpart "/dev/$(lsblk -n -o PKNAME "$part")" "${part##*[!0-9]}" || rc=$?
[ "$rc" -le 1 ] || exit "$rc"
resize2fs "$part"
EOF
  chmod 0755 "$ROOTFS/usr/local/sbin/grow-root"
  cat >"$ROOTFS/etc/systemd/system/grow-root.service" <<'EOF'
[Unit]
Description=Grow the root file system to its disk
After=local-fs.target
Before=ssh.service

[Service]
Type=oneshot
ExecStart=/usr/local/sbin/grow-root

[Install]
WantedBy=multi-user.target
EOF
  ln -sf /etc/systemd/system/grow-root.service "$ROOTFS/etc/systemd/system/multi-user.target.wants/grow-root.service"
  # Root logs in with the build key only; host keys are made at first boot where they are missing.
  ssh-keygen -q -t ed25519 -N '' -C packer-build -f "$WORK/packer_ed25519"
  install -d -m 0700 "$ROOTFS/root/.ssh"
  install -m 0600 "$WORK/packer_ed25519.pub" "$ROOTFS/root/.ssh/authorized_keys"
  rm -f "$ROOTFS"/etc/ssh/ssh_host_*
  install -d "$ROOTFS/etc/systemd/system/ssh.service.d"
  printf '[Service]\nExecStartPre=\nExecStartPre=/usr/bin/ssh-keygen -A\nExecStartPre=/usr/sbin/sshd -t\n' \
    >"$ROOTFS/etc/systemd/system/ssh.service.d/host-keys.conf"
}

if [ "$output" = docker ]; then container_rootfs; else vm_rootfs; fi
# apt caches and lists, the bootstrap's logs: not part of the image.
chroot "$ROOTFS" apt-get clean
rm -rf "$ROOTFS"/var/lib/apt/lists/* "$ROOTFS"/var/cache/apt/*.bin "$ROOTFS"/var/log/*.log \
  "$ROOTFS"/var/log/apt/* "$ROOTFS"/var/cache/debconf/*-old "$ROOTFS"/tmp/* "$ROOTFS"/root/.bash_history
mkdir -p "$ROOTFS/var/lib/apt/lists/partial"

docker_image() {
  say "packing the rootfs into $TAR"
  tar --numeric-owner --xattrs -C "$ROOTFS" -cf - . | zstd -q -T0 -10 -o "$TAR.part"
  mv -f "$TAR.part" "$TAR"
  find "$CACHE_DIR" -maxdepth 1 -name 'debian12-systemd-*.tar.zst' ! -name "$(basename "$TAR")" -delete
  zstd -dc -q "$TAR" | "$DOCKER" import "${import_changes[@]}" - "$IMAGE" >/dev/null
  say "built $IMAGE (key $KEY, $(du -h "$TAR" | cut -f1) cached) in $((SECONDS - t0))s"
  echo "$IMAGE"
}

qcow2_disk() {
  say "making the $DISK_SIZE disk"
  truncate -s "$DISK_SIZE" "$WORK/disk.raw"
  printf 'label: dos\nstart=2048, type=83, bootable\n' | sfdisk -q "$WORK/disk.raw"
  LOOP=$(losetup -f --show -P "$WORK/disk.raw")
  for _ in $(seq 50); do [ -b "${LOOP}p1" ] && break; partx -u "$LOOP" 2>/dev/null || true; sleep 0.1; done
  # EXTLINUX reads ext4 without the 64bit feature (not needed on a disk this small).
  mkfs.ext4 -q -O ^64bit -L rootfs -d "$ROOTFS" "${LOOP}p1"
  mkdir -p "$MNT"
  mount "${LOOP}p1" "$MNT"
  kernel=$(find "$MNT/boot" -maxdepth 1 -name 'vmlinuz-*' -printf '%f\n' | sort -V | tail -n1)
  mkdir -p "$MNT/boot/extlinux"
  extlinux --install "$MNT/boot/extlinux" 2>"$WORK/extlinux.log" || { cat "$WORK/extlinux.log" >&2; exit 1; }
  cat >"$MNT/boot/extlinux/extlinux.conf" <<EOF
SERIAL 0 115200
DEFAULT debian
TIMEOUT 0
LABEL debian
  LINUX /boot/$kernel
  INITRD /boot/initrd.img-${kernel#vmlinuz-}
  APPEND root=LABEL=rootfs ro console=tty0 console=ttyS0,115200 net.ifnames=0
EOF
  umount "$MNT"
  losetup -d "$LOOP"; LOOP=""
  dd if=/usr/lib/EXTLINUX/mbr.bin of="$WORK/disk.raw" bs=440 count=1 conv=notrunc status=none
  part=$OUT.part.$$
  rm -rf "$part"; mkdir -p "$part"
  qemu-img convert -c -O qcow2 "$WORK/disk.raw" "$part/disk.qcow2"
  cp "$WORK/packer_ed25519" "$WORK/packer_ed25519.pub" "$part/"
  echo "$KEY" >"$part/KEY"
  rm -rf "$OUT"; mv "$part" "$OUT"
  find "$CACHE_DIR" -maxdepth 1 -name 'debian12-qcow2-*' ! -name "$(basename "$OUT")" -exec rm -rf {} +
  say "built $OUT/disk.qcow2 ($(du -h "$OUT/disk.qcow2" | cut -f1)) in $((SECONDS - t0))s"
  echo "$OUT"
}

if [ "$output" = docker ]; then docker_image; else qcow2_disk; fi
