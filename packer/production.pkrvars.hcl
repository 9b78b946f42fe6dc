# Production base: Ubuntu 24.04 (noble) cloud image, KVM, OpenNebula's context package. Packer logs in as root
# with a key made for this build that a NoCloud seed (CD-ROM "cidata") gives cloud-init; the build removes it.
# Use with: images/build-image.sh ROLE --var-file packer/production.pkrvars.hcl (it makes the key and the seed).
base_disk            = "https://cloud-images.ubuntu.com/noble/current/noble-server-cloudimg-amd64.img"
base_disk_checksum   = "file:https://cloud-images.ubuntu.com/noble/current/SHA256SUMS"
accelerator          = "kvm"
context_package      = "https://github.com/OpenNebula/one-apps/releases/download/v6.10.0-3/one-context_6.10.0-3.deb"
