"""End to end, without a real OpenNebula: register.yml and deploy.yml against the simulator, whose VMs boot as
systemd containers from appliance images built with the appliance role's `install` entry point. The appliances
configure themselves from their CONTEXT, publish and discover each other through OneGate, enroll, and train.

The tests run in order on one deployment (each builds on the previous one's state)."""

import base64
import json
import time

import pytest

from ansible_collections.opennebula.flower.plugins.module_utils._flower_layouts import default_release
from ansible_collections.opennebula.flower.plugins.module_utils._one_documents import find_by_name
from ansible_collections.opennebula.flower.plugins.module_utils._one_template_syntax import render_template
from ansible_collections.opennebula.flower.plugins.module_utils._one_xmlrpc import OneXMLRPCClient
from tests.appliance.containers import Containers, host_dir
from tests.appliance.oneflow_cloud import Cloud

SERVICE = "flower-federation-1"
MAX_SUPERNODES = 4
pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def images(appliance_images):
    return appliance_images


@pytest.fixture(scope="module")
def cloud(images, tmp_path_factory):
    containers = Containers("ofl-e2e-oneflow")
    cloud = Cloud(containers, images)
    try:
        yield cloud
    finally:
        for vm_id, ctr in cloud.booted.items():  # keep what a failure needs to be understood
            print("---- VM %s (%s) configure.log\n%s" % (vm_id, ctr.name, ctr.exec(
                "tail", "-n", "60", "/var/log/opennebula-flower/configure.log", check=False).stdout))
        cloud.close()
        containers.cleanup()


@pytest.fixture(scope="module")
def deployed(cloud, tmp_path_factory):
    files = tmp_path_factory.mktemp("images")
    paths = {}
    for role in ("superlink", "supernode"):   # the simulator registers any file; the containers are the disks
        paths[role] = str(files / ("%s.qcow2" % role))
        with open(paths[role], "wb") as handle:
            handle.write(b"QFI\xfb" + b"\0" * 508)
    registered = cloud.playbook("playbooks/register.yml", "-e", json.dumps({
        "flower_register_image_paths": paths, "flower_register_supernode_max_vms": MAX_SUPERNODES}))
    assert registered.returncode == 0, registered.stdout[-4000:]

    observed, errors = [], []
    deploy = cloud.start_playbook("playbooks/deploy.yml", "-e", "flower_deploy_supernodes=2")
    started = time.monotonic()
    # What OneFlow and the SuperLink VM reported, in order, while deploy.yml waits; a VM's FL_ERROR ends it early.
    while deploy.poll() is None and time.monotonic() - started < 1500:
        service = cloud.service(SERVICE)
        if service:
            superlink = cloud.vms(service, "superlink")
            attrs = cloud.user_template(superlink[0]) if superlink else {}
            observed.append((service.get("state"), attrs.get("FL_READY"), attrs.get("READY")))
            errors = ["VM %s: %s" % (vm, cloud.user_template(vm)["FL_ERROR"])
                      for role in ("superlink", "supernode") for vm in cloud.vms(service, role)
                      if "FL_ERROR" in cloud.user_template(vm)]
            if errors or cloud.boot_errors:
                break
        time.sleep(0.5)
    if deploy.poll() is None:
        deploy.kill()
    output = deploy.communicate()[0]
    assert not errors and not cloud.boot_errors, errors + cloud.boot_errors
    assert deploy.returncode == 0, output[-6000:]
    service = cloud.service(SERVICE)
    return {"service": service, "observed": observed, "deploy_output": output,
            "elapsed": time.monotonic() - started}


def superlink_ctr(cloud, service):
    return cloud.booted[cloud.vms(service, "superlink")[0]]


def flwr_nodes(ctr):
    """The SuperLink's node list, read on the SuperLink itself (its Control API is on loopback only)."""
    out = ctr.exec("/opt/opennebula-flower/ansible/bin/python", "-c", (
        "import json,subprocess,tempfile,os;c=json.load(open('/etc/opennebula-flower/superlink-connection.json'));"
        "h=tempfile.mkdtemp();open(h+'/config.toml','w').write('[superlink]\\ndefault=\"x\"\\n[superlink.x]\\n"
        "address=\"%s\"\\nroot-certificates=\"%s\"\\n'%(c['control_address'],c['root_certificates']));"
        "print(subprocess.run([c['flwr'],'supernode','list','--format','json'],env=dict(os.environ,FLWR_HOME=h),"
        "capture_output=True,text=True).stdout)"))
    return json.loads(out.stdout)["nodes"]


def test_the_service_runs_only_after_the_superlink_published_fl_ready(cloud, deployed):
    running = [o for o in deployed["observed"] if o[0] == 2]
    assert running, deployed["observed"][-5:]
    assert all(fl_ready == "YES" and ready == "YES" for _state, fl_ready, ready in running)
    superlink = cloud.user_template(cloud.vms(deployed["service"], "superlink")[0])
    ca = superlink["FL_CA_CERT"]
    assert ca.startswith("-----BEGIN CERTIFICATE-----")
    assert superlink["FL_ENDPOINT"].endswith(":9092") and superlink["FL_VERSION"] == default_release()
    assert (superlink["FL_TLS"], superlink["FL_AUTH"]) == ("YES", "YES")
    assert "SuperLink Fleet API at %s" % superlink["FL_ENDPOINT"] in deployed["deploy_output"]


def test_supernodes_discovered_trusted_and_enrolled_by_themselves(cloud, deployed):
    ctr = superlink_ctr(cloud, deployed["service"])
    nodes = cloud.wait(lambda: [n for n in flwr_nodes(ctr) if n["status"] == "online"] if len(
        [n for n in flwr_nodes(ctr) if n["status"] == "online"]) == 2 else None, 240, "2 online SuperNodes")
    assert len(nodes) == 2
    supernodes = cloud.vms(deployed["service"], "supernode")
    enrolled = cloud.user_template(cloud.vms(deployed["service"], "superlink")[0])["FL_ENROLLED"]
    assert sorted(enrolled) == sorted(str(v) for v in supernodes)
    for vm in supernodes:
        assert cloud.user_template(vm)["FL_NODE_PUBKEY"].startswith("ecdsa-sha2-nistp384 ")


def test_the_control_api_is_not_reachable_from_a_supernode(cloud, deployed):
    service = deployed["service"]
    superlink = cloud.user_template(cloud.vms(service, "superlink")[0])
    host = superlink["FL_ENDPOINT"].split(":")[0]
    node = cloud.booted[cloud.vms(service, "supernode")[0]]
    probe = ("import ssl,sys,urllib.request,urllib.error,socket\n"
             "ctx=ssl.create_default_context(cafile='/etc/flower/supernode/superlink-ca.crt')\n"
             "def get(p):\n"
             "    try: return urllib.request.urlopen('https://%s:9092'+p, context=ctx, timeout=5).status\n"
             "    except urllib.error.HTTPError as e: return e.code\n"
             "def tcp(port):\n"
             "    s=socket.socket(); s.settimeout(3)\n"
             "    try: s.connect(('%s', port)); return 'open'\n"
             "    except socket.timeout: return 'dropped'\n"
             "    except OSError: return 'refused'\n"
             "print(get('/health'), get('/v1/control/list-runs'), get('/v1/runtime/x'), tcp(9095), tcp(9093))\n"
             ) % (host, host)
    out = node.exec("python3", "-c", probe).stdout.split()
    # Health answers through the proxy; Control and Runtime do not exist on the FL network; the SuperLink's own
    # port is on loopback, and the firewall drops any other new connection.
    assert out == ["200", "404", "404", "dropped", "dropped"]


def test_a_machine_outside_the_service_cannot_join_with_a_well_formed_key(cloud, deployed, images, containers):
    service = deployed["service"]
    superlink = cloud.user_template(cloud.vms(service, "superlink")[0])
    directory = host_dir("ofl-ctx-outsider-")
    (directory / "context.sh").write_text(
        "ONEAPP_FL_SUPERLINK_ADDRESS='%s'\nONEAPP_FL_SSL_CA_CERTFILE='%s'\nETH0_IP='198.18.6.200'\n"
        % (superlink["FL_ENDPOINT"], base64.b64encode(superlink["FL_CA_CERT"].encode()).decode()))
    outsider = containers.run("ofl-outsider", images["supernode"], network=cloud.network, ip="198.18.6.200",
                              mounts=cloud.mounts(directory), caps=["NET_ADMIN"])
    outsider.wait_for("test", "-e", "/run/opennebula-flower/ready", timeout=300)
    assert outsider.unit_active("flower-supernode") == "active"
    ctr = superlink_ctr(cloud, service)
    # The SuperLink refuses the outsider's key (Flower answers 412 to an unregistered key), again and again.
    refused = cloud.wait(lambda: [line for line in ctr.read_file("/var/log/nginx/access.log").splitlines()
                                  if line.startswith("198.18.6.200 ") and "/v1/fleet/" in line and '" 412 ' in line],
                         120, "the SuperLink refusing the outsider")
    assert refused
    assert len(flwr_nodes(ctr)) == 2, "an outsider's key must never be registered"


def train(cloud, service, *extra):
    """playbooks/train.yml on the SuperLink appliance itself; returns the run's metrics.json."""
    ctr = superlink_ctr(cloud, service)
    result = ctr.exec("/usr/local/sbin/opennebula-flower-run", "train", "-e", "flower_train_force=true", *extra,
                      check=False, timeout=1500)
    assert result.rc == 0, result.stdout[-6000:]
    run_id = json.loads(ctr.read_file("/var/lib/flower/superlink/last-run.json"))["run_id"]
    return json.loads(ctr.read_file("/var/lib/flower/superlink/runs/%s/metrics.json" % run_id))


def test_train_yml_completes_three_rounds_with_the_enrolled_supernodes(cloud, deployed):
    metrics = train(cloud, deployed["service"], "-e", '{"flower_train_run_config": {"min-nodes": 2}}')
    assert len(metrics["rounds"]) == 3
    assert metrics["rounds"][-1]["eval_accuracy"] >= 0.9, metrics["rounds"]


def node_config(ctr):
    return ctr.read_file("/etc/flower/supernode/run-supernode.sh")


def test_scaling_adds_an_enrolled_node_that_trains_and_moves_no_partition(cloud, deployed):
    service = deployed["service"]
    first, second = (cloud.booted[vm] for vm in cloud.vms(service, "supernode"))
    before = [node_config(first), node_config(second)]
    assert "num-partitions=%d partition-id=0" % MAX_SUPERNODES in before[0]
    assert "num-partitions=%d partition-id=1" % MAX_SUPERNODES in before[1]
    scaled = cloud.playbook("playbooks/deploy.yml", "-e", "flower_deploy_supernodes=3", timeout=1500)
    assert scaled.returncode == 0, scaled.stdout[-6000:]
    service = cloud.service(SERVICE)
    third = cloud.booted[cloud.vms(service, "supernode")[2]]
    assert "num-partitions=%d partition-id=2" % MAX_SUPERNODES in node_config(third)
    assert [node_config(first), node_config(second)] == before
    ctr = superlink_ctr(cloud, service)
    cloud.wait(lambda: len([n for n in flwr_nodes(ctr) if n["status"] == "online"]) == 3, 240, "3 online nodes")
    metrics = train(cloud, service, "-e", '{"flower_train_run_config": {"min-nodes": 3, "num-server-rounds": 2}}')
    assert len(metrics["rounds"]) == 2 and metrics["rounds"][-1]["eval_accuracy"] >= 0.85


def test_a_supernode_with_an_invalid_variable_reports_fl_error_and_never_ready(cloud, deployed):
    client = OneXMLRPCClient(cloud.sim.xmlrpc_url, cloud.sim.username, cloud.sim.password)
    template_id = int(find_by_name(client.template_pool(), "flower-supernode")["ID"])
    context = dict(client.template_info(template_id)["TEMPLATE"]["CONTEXT"], ONEAPP_FL_EDGE_BACKOFF="random")
    vm_id = client.call("template.instantiate", template_id, "supernode_bad", False,
                        render_template({"CONTEXT": context}), False)
    attrs = cloud.wait(lambda: cloud.user_template(vm_id) if "FL_ERROR" in cloud.user_template(vm_id) else None,
                       300, "FL_ERROR on VM %s" % vm_id)
    assert attrs["FL_READY"] == "NO"
    assert "ONEAPP_FL_EDGE_BACKOFF='random' is invalid: allowed: one of exponential, fixed" in attrs["FL_ERROR"]
    assert "READY" not in attrs
    ctr = cloud.booted[vm_id]
    assert ctr.unit_active("flower-supernode") != "active"


def test_a_restarted_superlink_keeps_its_ca_and_the_supernodes_reconnect(cloud, deployed):
    service = cloud.service(SERVICE)
    superlink_vm = cloud.vms(service, "superlink")[0]
    ca_before = cloud.user_template(superlink_vm)["FL_CA_CERT"]
    node_ca = [cloud.booted[vm].read_file("/etc/flower/supernode/superlink-ca.crt")
               for vm in cloud.vms(service, "supernode")]
    ctr = superlink_ctr(cloud, service)
    ctr.restart()
    ctr.wait_for("test", "-e", "/run/opennebula-flower/ready", timeout=300)
    assert cloud.user_template(superlink_vm)["FL_CA_CERT"] == ca_before
    cloud.wait(lambda: len([n for n in flwr_nodes(ctr) if n["status"] == "online"]) == len(node_ca), 300,
               "the SuperNodes back online")
    assert [cloud.booted[vm].read_file("/etc/flower/supernode/superlink-ca.crt")
            for vm in cloud.vms(service, "supernode")] == node_ca
