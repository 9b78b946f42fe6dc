#!/usr/bin/env bash
# Install the Debian packages that build and boot-test the appliance VM images (make images, make test-images),
# idempotently: Packer 1.6.6 (built-in qemu and docker builders, ansible provisioner), QEMU (TCG), the tools that
# make the CI base disk (debootstrap, sfdisk, EXTLINUX) and genisoimage for CONTEXT CD-ROMs.
# Usage: images/host-packages.sh        (root; does nothing when everything is installed)
set -euo pipefail

# command -> package
declare -A WANT=(
  [packer]=packer
  [qemu-system-x86_64]=qemu-system-x86
  [qemu-img]=qemu-utils
  [genisoimage]=genisoimage
  [debootstrap]=debootstrap
  [sfdisk]=fdisk
  [extlinux]=extlinux
  [zstd]=zstd
)
missing=()
for cmd in "${!WANT[@]}"; do
  command -v "$cmd" >/dev/null 2>&1 || PATH=$PATH:/usr/sbin:/sbin command -v "$cmd" >/dev/null 2>&1 \
    || missing+=("${WANT[$cmd]}")
done
if [ ${#missing[@]} -eq 0 ]; then
  echo "host-packages: everything installed"
  exit 0
fi
[ "$(id -u)" = 0 ] || { echo "host-packages: need root to install: ${missing[*]}" >&2; exit 1; }
echo "host-packages: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
apt-get update -q >/dev/null
apt-get install -y -q --no-install-recommends "${missing[@]}" >/dev/null
