"""A small OpenNebula cloud for the appliance end-to-end test: the simulator (oned, OneFlow, OneGate) listening on a
docker network's gateway, whose VMs really boot as systemd containers from the appliance images.

When the simulator starts a VM, the container gets the VM's lease as its IP and the CONTEXT "CD-ROM" contents
(context.sh and token.txt, as oned writes them) bind-mounted read-only where the appliance looks for them.
"""

import os
import shutil
import subprocess
import sys
import threading
import time
from pathlib import Path

from ansible_collections.opennebula.flower.plugins.module_utils._onegate import decode_template
from tests.appliance.containers import Mount, host_dir
from tests.opennebula_sim import Simulator

REPO = Path(__file__).resolve().parents[2]
CONTEXT_DIR = "/run/opennebula-flower/context"
COLLECTION_DIR = "/opt/opennebula-flower/collections/ansible_collections/opennebula/flower"
# For iterating on roles and plugins without rebuilding the images: OFL_DEV_COLLECTION=1 mounts this working
# tree over the collection baked into the images (changes to what `install` does still need a rebuild).
DEV_COLLECTION = os.environ.get("OFL_DEV_COLLECTION") == "1"


class Cloud:
    def __init__(self, containers, images, network="ofl-e2e", subnet="198.18.6", speed=10.0, vm_prefix="ofl-vm-"):
        """images: {"superlink": image, "supernode": image}; VMs named <role>_... boot from them, as containers
        named <vm_prefix><vm id>."""
        self.containers = containers
        self.images = images
        self.network = network
        self.gateway = containers.create_network(network, "%s.0/24" % subnet, "%s.1" % subnet)
        self.sim = Simulator(bind_host=self.gateway, network=dict(
            ip="%s.10" % subnet, size=100, address="%s.0" % subnet, mask="255.255.255.0", gateway=self.gateway))
        self.sim.start()
        self.sim.on_vm_boot(self._boot)
        self.booted = {}            # vm id -> container
        self.boot_errors = []
        self._context_dirs = []
        self._speed = speed
        self._vm_prefix = vm_prefix
        self._stop = threading.Event()
        self._clock = threading.Thread(target=self._tick, name="one-sim-clock", daemon=True)
        self._clock.start()

    # -- the simulated frontend's clock runs `speed` times faster than the wall clock
    def _tick(self):
        while not self._stop.wait(0.1):
            self.sim.advance(0.1 * self._speed)

    def _boot(self, vm_id, context):
        name = self.sim.vm(vm_id).name
        role = "superlink" if name.startswith("superlink") else "supernode"
        directory = host_dir("ofl-ctx-%d-" % vm_id)
        self._context_dirs.append(directory)
        self.sim.write_context(vm_id, str(directory))
        os.unlink(directory / "one_env")   # a CD-ROM holds context.sh and token.txt only
        try:
            self.booted[vm_id] = self.containers.run(
                "%s%d" % (self._vm_prefix, vm_id), self.images[role], network=self.network, ip=context.get("ETH0_IP"),
                hostname="vm-%d" % vm_id, mounts=self.mounts(directory), caps=["NET_ADMIN"])
        except Exception as exc:  # reported by the test, which would otherwise only see a VM that never gets READY
            self.boot_errors.append("VM %s: %s" % (vm_id, exc))

    @staticmethod
    def mounts(context_directory):
        mounts = [Mount(context_directory, CONTEXT_DIR)]
        if DEV_COLLECTION:
            mounts.append(Mount(REPO, COLLECTION_DIR))
        return mounts

    def env(self):
        """Environment for playbooks that talk to this cloud's OpenNebula API."""
        return dict(os.environ, ONE_URL=self.sim.xmlrpc_url, ONEFLOW_URL=self.sim.oneflow_url,
                    ONE_USERNAME=self.sim.username, ONE_PASSWORD=self.sim.password,
                    ANSIBLE_CONFIG=str(REPO / "ansible.cfg"), ANSIBLE_NOCOLOR="1",
                    FLWR_TELEMETRY_ENABLED="0", FLWR_DISABLE_UPDATE_CHECK="1")

    def _playbook_argv(self, playbook, extra):
        binary = os.path.join(os.path.dirname(sys.executable), "ansible-playbook")
        return [binary, "-i", "localhost,", "-e", "ansible_python_interpreter=%s" % sys.executable,
                str(REPO / playbook), *extra]

    def playbook(self, playbook, *extra, timeout=1800):
        return subprocess.run(self._playbook_argv(playbook, extra), cwd=REPO, env=self.env(), capture_output=True,
                              text=True, timeout=timeout, check=False)

    def start_playbook(self, playbook, *extra):
        """The playbook as a running process (stdout and stderr together in .communicate()[0])."""
        return subprocess.Popen(self._playbook_argv(playbook, extra), cwd=REPO, env=self.env(), text=True,
                                stdout=subprocess.PIPE, stderr=subprocess.STDOUT)

    def service(self, name):
        state = self.sim.state
        state.catch_up()
        with state.lock:
            for doc in state.pools["document"].values():
                if doc.name == name and doc.body.get("state") != 5:
                    return self.sim.service(doc.id)
        return None

    def vms(self, service, role):
        return [n["deploy_id"] for r in service["roles"] if r["name"] == role for n in r.get("nodes") or []]

    def user_template(self, vm_id):
        """The VM's USER_TEMPLATE as the collection's OneGate client reads it (published values decoded)."""
        return decode_template(self.sim.vm(vm_id).user_template.to_dict())

    def wait(self, predicate, timeout, what, interval=1.0):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.boot_errors:
                raise AssertionError("a VM could not boot: %s" % "; ".join(self.boot_errors))
            value = predicate()
            if value:
                return value
            time.sleep(interval)
        raise AssertionError("timed out after %s s waiting for %s" % (timeout, what))

    def close(self):
        self._stop.set()
        self._clock.join(timeout=5)
        self.sim.stop()
        for directory in self._context_dirs:
            shutil.rmtree(directory, ignore_errors=True)
