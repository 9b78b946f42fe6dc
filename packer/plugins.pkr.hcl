# Plugins for Packer 1.7 and later (`packer init packer/` then `packer build -var-file=... packer/`).
# Packer 1.6.6 (Debian 12) has the three built in and rejects this block, so it is alone in this file and
# 1.6.6 is pointed at appliance.pkr.hcl only (images/build-image.sh does).
packer {
  required_version = ">= 1.6.6"
  required_plugins {
    qemu = {
      version = ">= 1.1.0"
      source  = "github.com/hashicorp/qemu"
    }
    docker = {
      version = ">= 1.0.8"
      source  = "github.com/hashicorp/docker"
    }
    ansible = {
      version = ">= 1.1.0"
      source  = "github.com/hashicorp/ansible"
    }
  }
}
