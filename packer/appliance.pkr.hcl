# The Flower SuperLink and SuperNode appliance images, built by this collection's roles (the appliance role's
# install entry point, through packer/appliance.yml and Packer's ansible provisioner).
#
#   qemu.appliance    a QCOW2 for OpenNebula from a base disk: the Ubuntu 24.04 cloud image in production
#                     (production.pkrvars.hcl), the Debian 12 disk of images/base/debian12.sh qcow2 in CI
#                     (written by images/build-image.sh); TCG or KVM
#   docker.appliance  the same image as a systemd container (fast; what the container end-to-end tests boot)
#
# Role and frameworks: superlink.pkrvars.hcl, supernode.pkrvars.hcl. Everything the image installs comes from an
# offline wheelhouse (images/wheelhouse.sh) and the collection archive: nothing is downloaded at build time except
# the optional context package, and nothing at all at boot.
# Packer 1.6.6: `packer build -only=qemu.appliance -var-file=... packer/appliance.pkr.hcl` (plugins.pkr.hcl is
# for Packer 1.7+). images/build-image.sh prepares the inputs and runs this; it also sets flower_version, from and
# checked against the collection's table of supported releases (a validation block can only see the variable).

variable "appliance_role" {
  type        = string
  description = "superlink or supernode"
  validation {
    condition     = contains(["superlink", "supernode"], var.appliance_role)
    error_message = "The appliance_role variable must be superlink or supernode."
  }
}

variable "flower_version" {
  type        = string
  description = "Flower release installed in the image (the default of ONEAPP_FLOWER_VERSION); images/build-image.sh sets it"
  validation {
    condition     = var.flower_version != "" && regex_replace(var.flower_version, "^[0-9]+\\.[0-9]+\\.[0-9]+$", "") == ""
    error_message = "The flower_version variable must be a release number major.minor.patch; images/build-image.sh checks that the collection supports it."
  }
}

variable "frameworks" {
  type        = list(string)
  default     = ["sklearn"]
  description = "ML frameworks baked into the image (pytorch, tensorflow, sklearn), the default first: a SuperNode's ClientApps and a SuperLink's use-case ServerApps use them, ONEAPP_FL_FRAMEWORK picks one at boot"
  validation {
    condition     = length(var.frameworks) > 0 && length([for f in var.frameworks : f if !contains(["pytorch", "tensorflow", "sklearn"], f)]) == 0
    error_message = "The frameworks variable must list one or more of pytorch, tensorflow and sklearn."
  }
}

variable "wheelhouse_archive" {
  type        = string
  description = "tar of the offline wheelhouse (images/wheelhouse.sh) with Flower, ansible-core and the frameworks"
}

variable "collection_archive" {
  type        = string
  description = "tar of this collection (images/build-image.sh makes it from the git-tracked files)"
}

variable "context_package" {
  type        = string
  default     = ""
  description = "OpenNebula's one-context .deb (a local path or an http(s) URL); empty: none, the appliance reads the CONTEXT CD-ROM itself"
}

variable "base_disk" {
  type        = string
  default     = ""
  description = "URL of the base qcow2 (file:///... for a local disk); the qemu builder needs it"
}

variable "base_disk_checksum" {
  type        = string
  default     = "none"
  description = "checksum of base_disk, e.g. file:https://cloud-images.ubuntu.com/noble/current/SHA256SUMS"
}

variable "disk_size" {
  type        = string
  default     = "4G"
  description = "virtual size of the image's disk"
}

variable "accelerator" {
  type        = string
  default     = "kvm"
  description = "kvm, or tcg where KVM does not work (CI)"
  validation {
    condition     = contains(["kvm", "tcg"], var.accelerator)
    error_message = "The accelerator variable must be kvm or tcg."
  }
}

variable "cpus" {
  type    = number
  default = 2
}

variable "memory" {
  type    = number
  default = 2048
}

variable "ssh_username" {
  type    = string
  default = "root"
}

variable "ssh_private_key_file" {
  type        = string
  default     = ""
  description = "key that logs in to the base disk (qemu builder); the build removes its public half from the image"
}

variable "cloud_init_seed" {
  type        = list(string)
  default     = []
  description = "files of a NoCloud seed (user-data, meta-data) for cloud images, attached as a CD-ROM labelled cidata"
}

variable "output_directory" {
  type    = string
  default = "output"
}

variable "image_name" {
  type        = string
  default     = ""
  description = "file name of the QCOW2 (default flower-<role>.qcow2)"
}

variable "docker_base_image" {
  type    = string
  default = "local/debian12-systemd:latest"
}

variable "docker_image" {
  type        = string
  default     = ""
  description = "repository of the container image (default local/flower-<role>)"
}

variable "collections_path" {
  type        = string
  default     = ""
  description = "ANSIBLE_COLLECTIONS_PATH that resolves opennebula.flower (default: this checkout)"
}

locals {
  image_name       = var.image_name != "" ? var.image_name : "flower-${var.appliance_role}.qcow2"
  docker_image     = var.docker_image != "" ? var.docker_image : "local/flower-${var.appliance_role}"
  collections_path = var.collections_path != "" ? var.collections_path : abspath("${path.root}/..")
  playbook_vars = jsonencode({
    image_role                 = var.appliance_role
    image_flower_version       = var.flower_version
    image_frameworks           = var.frameworks
    image_wheelhouse_archive   = abspath(var.wheelhouse_archive)
    image_collection_archive   = abspath(var.collection_archive)
    image_context_package      = var.context_package
    image_os_release_file      = "${abspath(var.output_directory)}-os-release"
  })
  ansible_env = [
    "ANSIBLE_COLLECTIONS_PATH=${local.collections_path}",
    "ANSIBLE_HOST_KEY_CHECKING=False",
    "ANSIBLE_NOCOLOR=1",
    "ANSIBLE_RETRY_FILES_ENABLED=0",
    "ANSIBLE_PIPELINING=1",
    "FLWR_TELEMETRY_ENABLED=0",
    "FLWR_DISABLE_UPDATE_CHECK=1",
  ]
}

source "qemu" "appliance" {
  iso_url          = var.base_disk
  iso_checksum     = var.base_disk_checksum
  disk_image       = true
  use_backing_file = false
  format           = "qcow2"
  disk_size        = var.disk_size
  disk_interface   = "virtio"
  disk_discard     = "unmap"
  disk_compression = true
  accelerator      = var.accelerator
  cpus             = var.cpus
  memory           = var.memory
  headless         = true
  cd_files         = var.cloud_init_seed
  cd_label         = "cidata"
  # User-mode networking inside 198.18.10.0/23 (the project's test range), SSH forwarded from loopback.
  host_port_min = 29000
  host_port_max = 29099
  disable_vnc   = true
  qemuargs = [
    ["-cpu", "max"],
    ["-netdev", "user,id=user.0,net=198.18.10.0/24,host=198.18.10.2,dns=198.18.10.3,hostfwd=tcp:127.0.0.1:{{ .SSHHostPort }}-:22"],
    ["-device", "virtio-net,netdev=user.0"],
    ["-serial", "file:${var.output_directory}-serial.log"],
  ]
  boot_wait            = "1s"
  communicator         = "ssh"
  ssh_username         = var.ssh_username
  ssh_private_key_file = var.ssh_private_key_file
  ssh_timeout          = "15m"
  shutdown_command     = "shutdown -P now"
  output_directory     = var.output_directory
  vm_name              = local.image_name
}

source "docker" "appliance" {
  image  = var.docker_base_image
  pull   = false
  commit = true
  run_command = ["-d", "--network", "none", "--cgroupns=private", "--cap-add=SYS_ADMIN",
    "--tmpfs", "/sys/fs/cgroup", "--tmpfs", "/run", "--tmpfs", "/run/lock", "--tmpfs", "/tmp",
  "{{ .Image }}", "/lib/systemd/systemd"]
  changes = ["CMD [\"/lib/systemd/systemd\"]", "ENV container=docker",
  "LABEL org.opennebula.flower.role=${var.appliance_role}"]
}

build {
  sources = ["source.qemu.appliance", "source.docker.appliance"]

  # Over SSH to the VM, straight (no proxy: current OpenSSH refuses the proxy's ssh-rsa host key).
  provisioner "ansible" {
    only             = ["qemu.appliance"]
    playbook_file    = "${path.root}/appliance.yml"
    user             = var.ssh_username
    use_proxy        = false
    extra_arguments  = ["-e", local.playbook_vars, "-e", "image_builder=qemu"]
    ansible_env_vars = local.ansible_env
  }

  # Into the container through Packer's SSH adapter (docker exec); it offers only ssh-rsa and scp.
  provisioner "ansible" {
    only            = ["docker.appliance"]
    playbook_file   = "${path.root}/appliance.yml"
    user            = "root"
    extra_arguments = ["-e", local.playbook_vars, "-e", "image_builder=docker"]
    ansible_env_vars = concat(local.ansible_env, [
      "ANSIBLE_SSH_ARGS=-o HostKeyAlgorithms=+ssh-rsa -o PubkeyAcceptedKeyTypes=+ssh-rsa -o ControlMaster=auto -o ControlPersist=60s",
      "ANSIBLE_SCP_EXTRA_ARGS=-O",
      "ANSIBLE_SSH_TRANSFER_METHOD=scp",
    ])
  }

  post-processor "docker-tag" {
    only       = ["docker.appliance"]
    repository = local.docker_image
    tags       = ["latest"]
  }

  post-processor "manifest" {
    output     = "${var.output_directory}-manifest.json"
    strip_path = false
    custom_data = {
      appliance_role       = var.appliance_role
      flower_version       = var.flower_version
      frameworks           = join(",", var.frameworks)
      context_package      = var.context_package
      base_disk            = var.base_disk
    }
  }
}
