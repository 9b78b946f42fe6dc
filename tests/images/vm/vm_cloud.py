"""The appliance end-to-end cloud (tests/appliance/oneflow_cloud.py) with the SuperLink as a real QEMU VM booted
from the built QCOW2; SuperNodes stay systemd containers.

The VM sees the simulator's OneGate (on the docker network's gateway) through slirp's NAT. Its lease address
(ETH0_IP, which it advertises as FL_ENDPOINT and puts in its certificate) is added to the network's bridge on the
host, and QEMU forwards the Fleet port from there into the guest: SuperNode containers reach the SuperLink VM at
its lease, as they would on an OpenNebula network, and the guest's own readiness probe comes back in the same way.
"""

import subprocess
import threading

from tests.appliance.containers import docker, host_dir
from tests.appliance.oneflow_cloud import Cloud
from tests.images.vm.qemu_vm import QemuVM

FLEET_PORT = 9092


class VmCloud(Cloud):
    def __init__(self, containers, superlink_qcow2, supernode_image, ssh_port, **kwargs):
        self.superlink_qcow2 = superlink_qcow2
        self.ssh_port = ssh_port
        self.vms_booted = {}        # vm id -> QemuVM
        self.addresses = []         # lease addresses added to the bridge
        super().__init__(containers, {"supernode": supernode_image}, **kwargs)
        network_id = docker("network", "inspect", "--format", "{{.Id}}", self.network).stdout.strip()
        self.bridge = "br-" + network_id[:12]

    def _boot(self, vm_id, context):
        if not self.sim.vm(vm_id).name.startswith("superlink"):
            super()._boot(vm_id, context)
            return
        # Preparing the disk takes seconds: not on the simulator's clock thread.
        threading.Thread(target=self._boot_vm, args=(vm_id, context), name="qemu-vm-%d" % vm_id, daemon=True).start()

    def _boot_vm(self, vm_id, context):
        try:
            lease = context["ETH0_IP"]
            subprocess.run(["ip", "address", "add", lease + "/32", "dev", self.bridge], check=True)
            self.addresses.append(lease)
            directory = host_dir("ofl-h2-ctx-%d-" % vm_id)
            self._context_dirs.append(directory)
            self.sim.write_context(vm_id, str(directory))
            (directory / "one_env").unlink()   # the CD-ROM holds context.sh and token.txt only
            vm = QemuVM(self.superlink_qcow2, host_dir("ofl-h2-vm-%d-" % vm_id), directory,
                        ["tcp:%s:%d-:%d" % (lease, FLEET_PORT, FLEET_PORT)], self.ssh_port)
            self.vms_booted[vm_id] = vm.start()
        except Exception as exc:  # pylint: disable=broad-except  # reported by wait(), like a container that fails
            self.boot_errors.append("VM %s (QEMU): %s" % (vm_id, exc))

    def close(self):
        for vm in self.vms_booted.values():
            vm.remove()
        for lease in self.addresses:
            subprocess.run(["ip", "address", "del", lease + "/32", "dev", self.bridge], check=False,
                           capture_output=True)
        super().close()
