#!/usr/bin/env bash
# Build a bootable Debian 12 (bookworm) qcow2 from Debian packages only: debootstrap with the cloud kernel,
# openssh-server and what the appliance roles use, one MBR partition (ext4) and EXTLINUX as the BIOS bootloader. It is the base
# disk of the CI image builds (packer/ with the qemu builder); production builds start from the Ubuntu 24.04
# cloud image instead.
#
# Packer logs in as root with the SSH key generated next to the disk (there is no password); the appliance
# build removes that key again (packer/appliance.yml). The guest gets its address by DHCP on any NIC
# (systemd-networkd) and logs to the serial console. At every boot the root partition and its file system grow to
# the disk (cloud-guest-utils' growpart, resize2fs), so Packer's disk_size and a larger OpenNebula disk take effect.
#
# Cached: ${XDG_CACHE_HOME:-$HOME/.cache}/opennebula-flower/debian12-qcow2-<key>/ holds disk.qcow2,
# packer_ed25519(.pub) and KEY; <key> hashes this script and the Debian mirror. A second run does nothing.
# The last line of stdout is that directory. FORCE=1 rebuilds.
# Usage (root; images/host-packages.sh installs what it needs): images/base/build-debian12-qcow2.sh
set -euo pipefail

CACHE_DIR=${XDG_CACHE_HOME:-$HOME/.cache}/opennebula-flower
SUITE=bookworm
DISK_SIZE=${BASE_DISK_SIZE:-3G}
PACKAGES=(linux-image-cloud-amd64 initramfs-tools udev kmod systemd systemd-sysv dbus openssh-server python3
  python3-venv python3-apt sudo iproute2 procps ca-certificates nftables nginx-light e2fsprogs cloud-guest-utils
  fdisk)

say() { printf 'build-debian12-qcow2: %s\n' "$*" >&2; }
t0=$SECONDS
# The host's Debian mirrors (what apt here uses), deb.debian.org otherwise.
# shellcheck disable=SC2016  # $(...) are apt's format fields
mirror_of() { apt-get indextargets --format '$(REPO_URI) $(CODENAME)' 2>/dev/null | awk -v c="$1" '$2 == c { print $1; exit }'; }
MIRROR=${DEBIAN_MIRROR:-$(mirror_of "$SUITE")}
MIRROR=${MIRROR:-http://deb.debian.org/debian/}
SECURITY_MIRROR=${DEBIAN_SECURITY_MIRROR:-$(mirror_of "$SUITE-security")}
SECURITY_MIRROR=${SECURITY_MIRROR:-http://deb.debian.org/debian-security/}

KEY=$( { cat "$0"; echo "$MIRROR $SECURITY_MIRROR $DISK_SIZE"; } | sha256sum | cut -c1-16)
OUT=$CACHE_DIR/debian12-qcow2-$KEY
if [ -z "${FORCE:-}" ] && [ -f "$OUT/KEY" ] && [ "$(cat "$OUT/KEY")" = "$KEY" ]; then
  say "$OUT is up to date (key $KEY)"
  echo "$OUT"
  exit 0
fi
[ "$(id -u)" = 0 ] || { say "debootstrap, losetup and mount need root" >&2; exit 1; }
for cmd in debootstrap sfdisk extlinux qemu-img losetup; do
  command -v "$cmd" >/dev/null || { say "$cmd is missing (run images/host-packages.sh)"; exit 1; }
done

mkdir -p "$CACHE_DIR"
WORK=$(mktemp -d "$CACHE_DIR/debian12-qcow2-build.XXXXXX")
ROOTFS=$WORK/rootfs MNT=$WORK/mnt LOOP=""
cleanup() {
  for m in "$MNT" "$ROOTFS/proc" "$ROOTFS/sys" "$ROOTFS/dev"; do
    if mountpoint -q "$m" 2>/dev/null; then umount -l "$m" || true; fi
  done
  [ -z "$LOOP" ] || losetup -d "$LOOP" 2>/dev/null || true
  rm -rf --one-file-system "$WORK"
}
trap cleanup EXIT

say "debootstrap $SUITE from $MIRROR"
debootstrap --variant=minbase --include="$(IFS=,; echo "${PACKAGES[*]}")" "$SUITE" "$ROOTFS" "$MIRROR" \
  >"$WORK/debootstrap.log" 2>&1 || { tail -n 40 "$WORK/debootstrap.log" >&2; exit 1; }
say "debootstrap done ($((SECONDS - t0))s)"

cat >"$ROOTFS/etc/apt/sources.list" <<EOF
deb $MIRROR $SUITE main
deb $MIRROR $SUITE-updates main
deb $SECURITY_MIRROR $SUITE-security main
EOF
echo debian12 >"$ROOTFS/etc/hostname"
: >"$ROOTFS/etc/machine-id"
rm -f "$ROOTFS/var/lib/dbus/machine-id"
echo 'LABEL=rootfs / ext4 errors=remount-ro 0 1' >"$ROOTFS/etc/fstab"
cat >"$ROOTFS/etc/systemd/network/80-dhcp.network" <<'EOF'
[Match]
Name=en* eth*

[Network]
DHCP=ipv4
EOF
ln -sf /lib/systemd/system/systemd-networkd.service "$ROOTFS/etc/systemd/system/multi-user.target.wants/systemd-networkd.service"
ln -sf /lib/systemd/system/multi-user.target "$ROOTFS/etc/systemd/system/default.target"
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
# The appliance roles decide whether nginx runs.
rm -f "$ROOTFS/etc/systemd/system/multi-user.target.wants/nginx.service"
# Root logs in with the build key only; host keys are made at first boot where they are missing.
ssh-keygen -q -t ed25519 -N '' -C packer-build -f "$WORK/packer_ed25519"
install -d -m 0700 "$ROOTFS/root/.ssh"
install -m 0600 "$WORK/packer_ed25519.pub" "$ROOTFS/root/.ssh/authorized_keys"
rm -f "$ROOTFS"/etc/ssh/ssh_host_*
install -d "$ROOTFS/etc/systemd/system/ssh.service.d"
printf '[Service]\nExecStartPre=\nExecStartPre=/usr/bin/ssh-keygen -A\nExecStartPre=/usr/sbin/sshd -t\n' \
  >"$ROOTFS/etc/systemd/system/ssh.service.d/host-keys.conf"
chroot "$ROOTFS" apt-get clean
rm -rf "$ROOTFS"/var/lib/apt/lists/* "$ROOTFS"/var/cache/apt/*.bin "$ROOTFS"/var/log/*.log "$ROOTFS"/var/log/apt/*
mkdir -p "$ROOTFS/var/lib/apt/lists/partial"

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
