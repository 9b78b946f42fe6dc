"""The SuperLink QCOW2 built by Packer (qemu builder, TCG) boots in QEMU as a VM of a OneFlow service of the
OpenNebula simulator, reads its CONTEXT CD-ROM by itself (no one-context in the CI image), configures itself,
publishes FL_READY, FL_ENDPOINT and FL_CA_CERT through OneGate, and a SuperNode container built by Packer's docker
builder discovers it, enrolls and trains with it.

Slow (software emulation): make test-images. Needs root, docker, QEMU and Packer (images/host-packages.sh)."""

import json
import os
import socket
import ssl
import subprocess
import time

import pytest

from tests.appliance.containers import Containers, ensure_docker
from tests.images.conftest import REPO, require
from tests.images.vm.vm_cloud import VmCloud

SERVICE = "flower-federation-1"
SSH_PORT = 29150
pytestmark = pytest.mark.e2e


def build(*args, timeout=3600):
    start = time.monotonic()
    proc = subprocess.run([str(REPO / "images" / "build-image.sh"), *args], cwd=REPO, capture_output=True, text=True,
                          timeout=timeout, check=False)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-5000:]
    print("build-image.sh %s: %.0f s" % (" ".join(args), time.monotonic() - start))
    return proc.stdout.strip().splitlines()[-1]


@pytest.fixture(scope="module")
def images():
    require("packer", "qemu-system-x86_64", "qemu-img", "genisoimage", "losetup", "ssh")
    problem = ensure_docker()
    if problem:
        require("docker (%s)" % problem)
    # OFL_VM_IMAGES="superlink=QCOW2,supernode=IMAGE" reuses images built by images/build-image.sh while iterating
    # (every change to the collection's roles, plugins or apps changes the images' cache key).
    override = os.environ.get("OFL_VM_IMAGES")
    if override:
        return dict(pair.split("=", 1) for pair in override.split(","))
    return {"superlink": build("superlink"),
            "supernode": build("supernode", "--builder", "docker", "--frameworks", "sklearn")}


@pytest.fixture(scope="module")
def cloud(images):
    containers = Containers("ofl-h2-images")
    cloud = VmCloud(containers, images["superlink"], images["supernode"], SSH_PORT, network="ofl-h2-vm",
                    subnet="198.18.12", speed=1.0)
    try:
        yield cloud
    finally:
        for vm_id, vm in cloud.vms_booted.items():
            print("---- VM %s serial console (last lines)\n%s" % (vm_id, "\n".join(vm.serial_log().splitlines()[-60:])))
        cloud.close()
        containers.cleanup()


@pytest.fixture(scope="module")
def deployed(cloud, images, tmp_path_factory):
    # The SuperLink's disk is the built QCOW2; the SuperNode's is its container image (a placeholder file here).
    placeholder = tmp_path_factory.mktemp("images") / "supernode.qcow2"
    placeholder.write_bytes(b"QFI\xfb" + b"\0" * 508)
    registered = cloud.playbook("playbooks/register.yml", "-e", json.dumps({
        "flower_register_image_paths": {"superlink": images["superlink"], "supernode": str(placeholder)},
        "flower_register_supernode_cardinality": 1, "flower_register_supernode_max_vms": 1}))
    assert registered.returncode == 0, registered.stdout[-4000:] + registered.stderr[-2000:]
    started = time.monotonic()
    deploy = cloud.playbook("playbooks/deploy.yml", "-e", "flower_deploy_supernodes=1", timeout=2400)
    service = cloud.service(SERVICE)
    assert not cloud.boot_errors, cloud.boot_errors
    assert deploy.returncode == 0, deploy.stdout[-6000:] + deploy.stderr[-2000:]
    superlink = cloud.vms(service, "superlink")[0]
    elapsed = time.monotonic() - started
    print("service RUNNING %.0f s after deploy.yml started (SuperLink VM under TCG)" % elapsed)
    return {"service": service, "superlink": superlink, "vm": cloud.vms_booted[superlink], "elapsed": elapsed}


def test_the_vm_configures_itself_from_the_context_cdrom_and_publishes_to_onegate(cloud, deployed):
    vm = deployed["vm"]
    attrs = cloud.user_template(deployed["superlink"])
    assert attrs["FL_READY"] == "YES" and "FL_ERROR" not in attrs
    lease = cloud.sim.vm_context(deployed["superlink"])["ETH0_IP"]
    assert attrs["FL_ENDPOINT"] == "%s:9092" % lease
    # user_template() decodes the published values as the collection's OneGate client does.
    ca = attrs["FL_CA_CERT"]
    assert ca.startswith("-----BEGIN CERTIFICATE-----")
    # Configured by the appliance's own unit from the CD-ROM: no one-context in this image. The unit (a oneshot)
    # publishes FL_READY as its last task, so under TCG it may still be finishing when the service turns RUNNING.
    cloud.wait(lambda: vm.ssh("systemctl is-active opennebula-flower-context.service", check=False).stdout.strip()
               != "activating", 300, "the context unit to finish")
    out = vm.ssh("test ! -e /usr/sbin/one-contextd && systemctl is-active opennebula-flower-context.service "
                 "&& findmnt -n -o SOURCE,FSTYPE /run/opennebula-flower/context").stdout.split()
    assert out[0] == "active" and out[2] == "iso9660", out
    # The root file system grew to the image's 4 GiB disk (the CI base disk is 3 GiB).
    assert int(vm.ssh("findmnt -b -n -o SIZE /").stdout) > 3.5 * 2**30


def test_the_fleet_endpoint_serves_tls_from_the_published_ca(cloud, deployed):
    attrs = cloud.user_template(deployed["superlink"])
    host, port = attrs["FL_ENDPOINT"].rsplit(":", 1)
    context = ssl.create_default_context(cadata=attrs["FL_CA_CERT"])
    with socket.create_connection((host, int(port)), timeout=20) as sock:
        with context.wrap_socket(sock, server_hostname=host) as tls:
            assert tls.version() in ("TLSv1.2", "TLSv1.3")


def test_a_supernode_container_enrolls_and_trains_with_the_vm(cloud, deployed):
    supernode = cloud.vms(deployed["service"], "supernode")[0]
    assert cloud.user_template(supernode)["FL_NODE_PUBKEY"].startswith("ecdsa-sha2-nistp384 ")
    cloud.wait(lambda: str(supernode) in cloud.user_template(deployed["superlink"]).get("FL_ENROLLED", []),
               600, "the SuperLink VM enrolling the SuperNode")
    vm = deployed["vm"]
    started = time.monotonic()
    vm.ssh("/usr/local/sbin/opennebula-flower-run train -e flower_train_force=true "
           "-e '{\"flower_train_run_config\": {\"min-nodes\": 1}}'", timeout=2400)
    print("train.yml on the SuperLink VM: %.0f s" % (time.monotonic() - started))
    run_id = json.loads(vm.ssh("cat /var/lib/flower/superlink/last-run.json").stdout)["run_id"]
    metrics = json.loads(vm.ssh("cat /var/lib/flower/superlink/runs/%s/metrics.json" % run_id).stdout)
    assert len(metrics["rounds"]) == 3
    assert metrics["rounds"][-1]["eval_accuracy"] >= 0.9, metrics["rounds"]
