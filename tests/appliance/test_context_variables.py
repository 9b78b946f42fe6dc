"""The CONTEXT variables' effects, observed on appliances booted by the simulator (tests/appliance/oneflow_cloud.py):

- a OneFlow service with ONEAPP_FL_TLS_ENABLED=NO, ONEAPP_FL_AUTH_ENABLED=NO, ONEAPP_FL_LOG_LEVEL=DEBUG, a fixed
  ONEAPP_FL_NODE_CONFIG and every training variable set: it serves plain HTTP, its SuperNodes join without enrollment, and train.yml on the
  SuperLink trains with those defaults (explicit -e variables still win);
- standalone SuperLinks: one with the operator's CA, certificate and key (and ONEAPP_FL_CERT_EXTRA_SAN naming a
  name that certificate holds), one whose own certificate carries ONEAPP_FL_CERT_EXTRA_SAN; their served
  certificates are inspected from another machine;
- a SuperLink whose training variables break the Flower App's rules reports every error in FL_ERROR;
- a SuperLink with ONEAPP_FL_USE_CASE, which becomes train.yml's default, and a SuperNode whose
  ONEAPP_FL_FRAMEWORK the image did not bake, which refuses to start.

The tests run in order on one cloud (198.18.8.0/24)."""

import base64
import datetime
import ipaddress
import json
import os
import time

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from ansible_collections.opennebula.flower.plugins.module_utils._one_documents import find_by_name
from ansible_collections.opennebula.flower.plugins.module_utils._one_template_syntax import render_template
from ansible_collections.opennebula.flower.plugins.module_utils._one_xmlrpc import OneXMLRPCClient
from tests.appliance.containers import Containers
from tests.appliance.oneflow_cloud import Cloud

pytestmark = pytest.mark.e2e
SERVICE = "flower-federation-1"
SUBNET = "198.18.8"
OPERATOR_VM_IP = SUBNET + ".10"     # the first lease: the operator's SuperLink is instantiated first
EXTRA_NAME = "fl.h1.example.org"
SERVICE_CONTEXT = {
    "ONEAPP_FL_TLS_ENABLED": "NO",
    "ONEAPP_FL_AUTH_ENABLED": "NO",
    "ONEAPP_FL_LOG_LEVEL": "DEBUG",
    "ONEAPP_FL_NODE_CONFIG": 'partition-id=0 num-partitions=1 site="lab a"',
    "ONEAPP_FL_STRATEGY": "FedProx",
    "ONEAPP_FL_NUM_ROUNDS": "2",
    "ONEAPP_FL_MIN_NODES": "2",
    "ONEAPP_FL_PROXIMAL_MU": "0.5",
    "ONEAPP_FL_SERVER_LR": "0.05",
    "ONEAPP_FL_CLIENT_LR": "0.2",
    "ONEAPP_FL_NUM_MALICIOUS": "1",
    "ONEAPP_FL_TRIM_BETA": "0.3",
    "ONEAPP_FL_CHECKPOINT_INTERVAL": "0",
    "ONEAPP_FL_CHECKPOINT_KEEP": "2",
    # Adaptive clipping without noise: the ServerApp wraps FedProx, and the accuracy stays the undisturbed one.
    "ONEAPP_FL_DP_MODE": "server-adaptive",
    "ONEAPP_FL_DP_NOISE_MULTIPLIER": "0",
    "ONEAPP_FL_DP_CLIPPING_NORM": "20",
}


@pytest.fixture(scope="module")
def images(appliance_images):
    return appliance_images


@pytest.fixture(scope="module")
def cloud(images):
    containers = Containers("ofl-h1-context")
    cloud = Cloud(containers, images, network="ofl-h1-context", subnet=SUBNET, vm_prefix="ofl-h1-vm-")
    try:
        yield cloud
    finally:
        for vm_id, ctr in cloud.booted.items():
            print("---- VM %s (%s) configure.log\n%s" % (vm_id, ctr.name, ctr.exec(
                "tail", "-n", "40", "/var/log/opennebula-flower/configure.log", check=False).stdout))
        cloud.close()
        containers.cleanup()


def operator_pki():
    """A CA and a server certificate for the operator's SuperLink (what the appliance needs in it: its VM address,
    127.0.0.1 and localhost for its own processes, and the extra name)."""
    now = datetime.datetime.now(datetime.timezone.utc)

    def cert(subject, issuer, public_key, signing_key, ca, sans=()):
        builder = (x509.CertificateBuilder().subject_name(subject).issuer_name(issuer).public_key(public_key)
                   .serial_number(x509.random_serial_number()).not_valid_before(now - datetime.timedelta(hours=1))
                   .not_valid_after(now + datetime.timedelta(days=30))
                   .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True))
        if sans:
            builder = builder.add_extension(x509.SubjectAlternativeName(list(sans)), critical=False).add_extension(
                x509.ExtendedKeyUsage([x509.oid.ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
        return builder.sign(signing_key, hashes.SHA256())

    ca_key, key = ec.generate_private_key(ec.SECP256R1()), ec.generate_private_key(ec.SECP256R1())
    ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "h1 operator CA")])
    ca = cert(ca_name, ca_name, ca_key.public_key(), ca_key, True)
    server = cert(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, EXTRA_NAME)]), ca_name, key.public_key(), ca_key,
                  False, [x509.DNSName(EXTRA_NAME), x509.DNSName("localhost"),
                          x509.IPAddress(ipaddress.ip_address(OPERATOR_VM_IP)),
                          x509.IPAddress(ipaddress.ip_address("127.0.0.1"))])
    key_pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                serialization.NoEncryption()).decode()
    return ca.public_bytes(serialization.Encoding.PEM).decode(), server.public_bytes(
        serialization.Encoding.PEM).decode(), key_pem


def b64(text):
    return base64.b64encode(text.encode()).decode()


def instantiate(cloud, name, template="flower-superlink", **context):
    client = OneXMLRPCClient(cloud.sim.xmlrpc_url, cloud.sim.username, cloud.sim.password)
    template_id = int(find_by_name(client.template_pool(), template)["ID"])
    merged = dict(client.template_info(template_id)["TEMPLATE"]["CONTEXT"], **context)
    return client.call("template.instantiate", template_id, name, False, render_template({"CONTEXT": merged}), False)


@pytest.fixture(scope="module")
def standalone(cloud, registered):
    """Four SuperLink VMs and a SuperNode VM outside any service, booting while the service deploys."""
    ca, cert, key = operator_pki()
    vms = {
        "operator": instantiate(
            cloud, "superlink_operator", ONEAPP_FL_SSL_CA_CERTFILE=b64(ca), ONEAPP_FL_SSL_CERTFILE=b64(cert),
            ONEAPP_FL_SSL_KEYFILE=b64(key), ONEAPP_FL_CERT_EXTRA_SAN="DNS:" + EXTRA_NAME),
        "extra_san": instantiate(
            cloud, "superlink_extra_san", ONEAPP_FL_CERT_EXTRA_SAN="IP:198.18.9.7, DNS:" + EXTRA_NAME),
        "broken": instantiate(
            cloud, "superlink_broken", ONEAPP_FL_STRATEGY="Bulyan", ONEAPP_FL_MIN_NODES="6",
            ONEAPP_FL_NUM_MALICIOUS="1", ONEAPP_FL_TRIM_BETA="1.6"),
        "use_case": instantiate(cloud, "superlink_use_case", ONEAPP_FL_USE_CASE="anomaly-detection"),
        # The appliance images bake scikit-learn only (the appliance role's default appliance_frameworks).
        "unbaked": instantiate(cloud, "supernode_unbaked", template="flower-supernode", ONEAPP_FL_FRAMEWORK="pytorch",
                               ONEAPP_FL_SUPERLINK_ADDRESS="198.18.8.250:9092", ONEAPP_FL_TLS_ENABLED="NO"),
    }
    return {"vms": vms, "ca": ca, "cert": cert}


@pytest.fixture(scope="module")
def registered(cloud, tmp_path_factory):
    files = tmp_path_factory.mktemp("images")
    paths = {}
    for role in ("superlink", "supernode"):
        paths[role] = str(files / ("%s.qcow2" % role))
        with open(paths[role], "wb") as handle:
            handle.write(b"QFI\xfb" + b"\0" * 508)
    result = cloud.playbook("playbooks/register.yml", "-e", json.dumps({"flower_register_image_paths": paths}))
    assert result.returncode == 0, result.stdout[-4000:]


def service_errors(cloud):
    """FL_ERROR of any VM of the service (a failed boot ends the wait at once)."""
    service = cloud.service(SERVICE)
    vms = [vm for role in ("superlink", "supernode") for vm in cloud.vms(service, role)] if service else []
    return ["VM %s: %s" % (vm, cloud.user_template(vm)["FL_ERROR"]) for vm in vms
            if "FL_ERROR" in cloud.user_template(vm)] + cloud.boot_errors


@pytest.fixture(scope="module")
def service(cloud, registered, standalone):
    started = time.monotonic()
    deploy = cloud.start_playbook("playbooks/deploy.yml", "-e", json.dumps(
        {"flower_deploy_supernodes": 2, "flower_deploy_context": SERVICE_CONTEXT, "flower_deploy_timeout": 900}))
    errors = []
    while deploy.poll() is None and time.monotonic() - started < 1000 and not errors:
        time.sleep(1)
        errors = service_errors(cloud)
    if deploy.poll() is None:
        deploy.kill()
    output = deploy.communicate()[0]
    assert not errors, errors
    assert deploy.returncode == 0, output[-6000:]
    print("service RUNNING after %.1f s" % (time.monotonic() - started))
    return cloud.service(SERVICE)


def superlink_of(cloud, service):
    return cloud.booted[cloud.vms(service, "superlink")[0]]


def run_metrics(ctr):
    run_id = json.loads(ctr.read_file("/var/lib/flower/superlink/last-run.json"))["run_id"]
    base = "/var/lib/flower/superlink/runs/%s/" % run_id
    return json.loads(ctr.read_file(base + "metrics.json")), json.loads(ctr.read_file(base + "model.json"))


def train(ctr, *extra):
    result = ctr.exec("/usr/local/sbin/opennebula-flower-run", "train", "-e", "flower_train_force=true", *extra,
                      check=False, timeout=900)
    assert result.rc == 0, result.stdout[-6000:]
    return run_metrics(ctr)


def test_without_tls_the_fleet_api_is_plain_http_and_published_so(cloud, service):
    superlink_vm = cloud.vms(service, "superlink")[0]
    attrs = cloud.user_template(superlink_vm)
    assert (attrs["FL_TLS"], attrs["FL_AUTH"]) == ("NO", "NO")
    assert attrs.get("FL_CA_CERT", "") == ""
    node = cloud.booted[cloud.vms(service, "supernode")[0]]
    probe = node.exec("python3", "-c", (
        "import urllib.request; print(urllib.request.urlopen('http://%s/health', timeout=5).status)")
        % attrs["FL_ENDPOINT"], check=False)
    assert probe.stdout.strip() == "200", probe.stdout + probe.stderr
    assert "--insecure" in node.read_file("/etc/flower/supernode/run-supernode.sh")


def test_without_auth_the_supernodes_join_unenrolled_with_the_fixed_node_config(cloud, service):
    superlink = superlink_of(cloud, service)
    argv = superlink.read_file("/etc/flower/superlink/run-superlink.sh")
    assert "--enable-supernode-auth" not in argv and "--insecure" in argv
    assert superlink.exec("test", "-e", "/var/lib/flower/superlink/enrolled.json", check=False).rc != 0
    assert superlink.unit_active("opennebula-flower-enroll.service") != "active"
    assert "FL_ENROLLED" not in cloud.user_template(cloud.vms(service, "superlink")[0])
    for vm in cloud.vms(service, "supernode"):
        launcher = cloud.booted[vm].read_file("/etc/flower/supernode/run-supernode.sh")
        # exactly the context's node config, not partitions computed from the service
        assert "partition-id=0" in launcher and "num-partitions=1" in launcher and "lab a" in launcher
        assert "num-partitions=10" not in launcher
        # plus the framework the image baked first (ONEAPP_FL_FRAMEWORK is empty), for the use-case ClientApps
        assert 'framework="sklearn"' in launcher, launcher


DEBUG_ON = "DEBUG logs enabled"   # what Flower logs at start when FLWR_LOG_LEVEL=DEBUG


def test_the_log_level_reaches_both_flower_services(cloud, service, standalone):
    superlink = superlink_of(cloud, service)
    assert DEBUG_ON in superlink.journal("flower-superlink")
    for vm in cloud.vms(service, "supernode"):
        assert DEBUG_ON in cloud.booted[vm].journal("flower-supernode")
    # a SuperLink with the default level (INFO) does not
    other = cloud.booted[standalone["vms"]["extra_san"]]
    wait_ready(cloud, standalone["vms"]["extra_san"])
    journal = other.journal("flower-superlink")
    assert "Starting" in journal or "Uvicorn" in journal, journal[-2000:]
    assert DEBUG_ON not in journal


def test_train_yml_uses_the_superlinks_training_variables(cloud, service):
    superlink = superlink_of(cloud, service)
    assert json.loads(superlink.read_file("/etc/opennebula-flower/training.json")) == {
        "num-server-rounds": 2, "strategy": "FedProx", "min-nodes": 2, "proximal-mu": 0.5, "server-lr": 0.05,
        "client-lr": 0.2, "num-malicious-nodes": 1, "trim-beta": 0.3, "checkpoint-interval": 0,
        "checkpoint-keep": 2, "dp": "server-adaptive", "dp-noise-multiplier": 0.0, "dp-clipping-norm": 20.0}
    metrics, model = train(superlink)
    assert metrics["strategy"] == "FedProx" and metrics["num_rounds"] == 2 and len(metrics["rounds"]) == 2
    assert metrics["dp"] == "server-adaptive"
    # every ClientApp trained with the proximal term the context set
    assert all(row["proximal_mu"] == pytest.approx(0.5) for row in metrics["rounds"]), metrics["rounds"]
    assert metrics["rounds"][-1]["eval_accuracy"] >= 0.85
    # checkpoint interval 0: only the checkpoint after the last round
    assert [os.path.basename(p) for p in metrics["checkpoints"]] == ["round-00002.json"]
    config = model["run_config"]
    assert {k: config[k] for k in ("min-nodes", "server-lr", "client-lr", "num-malicious-nodes", "trim-beta",
                                   "checkpoint-interval", "checkpoint-keep")} == {
        "min-nodes": 2, "server-lr": 0.05, "client-lr": 0.2, "num-malicious-nodes": 1, "trim-beta": 0.3,
        "checkpoint-interval": 0, "checkpoint-keep": 2}


def test_explicit_train_variables_win_over_the_appliance_defaults(cloud, service):
    # -e flower_train_strategy=Krum beats the appliance's FedProx, and train.yml's Krum rule then refuses the run
    # with the appliance's f=1 and min-nodes=2, before anything is submitted.
    superlink = superlink_of(cloud, service)
    result = superlink.exec("/usr/local/sbin/opennebula-flower-run", "train", "-e", "flower_train_force=true",
                            "-e", "flower_train_strategy=Krum", check=False, timeout=600)
    assert result.rc != 0
    assert ("flower_train_strategy=Krum with num-malicious-nodes=1 (f) needs min-nodes >= 2f+3 = 5, but min-nodes=2"
            in " ".join(result.stdout.split())), result.stdout[-3000:]


def served_certificate(client, host, ca_pem, server_hostname):
    """(PEM, subjectAltName) of what host:9092 serves, verified against ca_pem for server_hostname, from client."""
    client.write_file("/tmp/h1-ca.crt", ca_pem)
    out = client.exec("python3", "-c", (
        "import json,socket,ssl,sys\n"
        "ctx=ssl.create_default_context(cafile='/tmp/h1-ca.crt')\n"
        "with socket.create_connection((sys.argv[1],9092),timeout=10) as raw:\n"
        "    with ctx.wrap_socket(raw,server_hostname=sys.argv[2]) as tls:\n"
        "        print(json.dumps([ssl.DER_cert_to_PEM_cert(tls.getpeercert(True)),"
        " tls.getpeercert()['subjectAltName']]))\n"), host, server_hostname, check=False)
    assert out.rc == 0, out.stdout + out.stderr
    pem, sans = json.loads(out.stdout)
    return pem, [tuple(san) for san in sans]


def wait_ready(cloud, vm_id):
    return cloud.wait(lambda: cloud.user_template(vm_id) if cloud.user_template(vm_id).get("FL_READY") == "YES"
                      or "FL_ERROR" in cloud.user_template(vm_id) else None, 420, "VM %s ready" % vm_id)


def test_the_operators_certificate_is_served_and_its_ca_published(cloud, service, standalone):
    attrs = wait_ready(cloud, standalone["vms"]["operator"])
    assert "FL_ERROR" not in attrs, attrs.get("FL_ERROR")
    assert attrs["FL_ENDPOINT"] == OPERATOR_VM_IP + ":9092"
    assert attrs["FL_CA_CERT"].strip() == standalone["ca"].strip()
    node = cloud.booted[cloud.vms(service, "supernode")[0]]
    pem, _sans = served_certificate(node, OPERATOR_VM_IP, standalone["ca"], EXTRA_NAME)
    assert x509.load_pem_x509_certificate(pem.encode()) == x509.load_pem_x509_certificate(standalone["cert"].encode())


def test_the_extra_san_is_in_the_certificate_the_appliance_makes(cloud, service, standalone):
    attrs = wait_ready(cloud, standalone["vms"]["extra_san"])
    assert "FL_ERROR" not in attrs, attrs.get("FL_ERROR")
    host = attrs["FL_ENDPOINT"].split(":")[0]
    ca = attrs["FL_CA_CERT"]
    node = cloud.booted[cloud.vms(service, "supernode")[0]]
    _pem, sans = served_certificate(node, host, ca, EXTRA_NAME)   # verifies for the extra DNS name
    assert ("DNS", EXTRA_NAME) in sans and ("IP Address", "198.18.9.7") in sans and ("IP Address", host) in sans


def test_broken_training_rules_are_all_reported_in_fl_error_and_nothing_starts(cloud, service, standalone):
    vm_id = standalone["vms"]["broken"]
    attrs = cloud.wait(lambda: cloud.user_template(vm_id) if "FL_ERROR" in cloud.user_template(vm_id) else None,
                       300, "FL_ERROR on VM %s" % vm_id)
    assert attrs["FL_READY"] == "NO" and "READY" not in attrs
    assert "ONEAPP_FL_TRIM_BETA='1.6' is invalid: allowed: a number from 0 to 1" in attrs["FL_ERROR"]
    assert ("ONEAPP_FL_STRATEGY=Bulyan with ONEAPP_FL_NUM_MALICIOUS=1 (f) needs ONEAPP_FL_MIN_NODES >= 4f+3 = 7, "
            "but ONEAPP_FL_MIN_NODES=6") in attrs["FL_ERROR"]
    ctr = cloud.booted[vm_id]
    assert ctr.unit_active("flower-superlink") != "active"
    assert ctr.exec("test", "-e", "/etc/opennebula-flower/training.json", check=False).rc != 0


def test_the_superlinks_use_case_is_train_ymls_default(cloud, standalone):
    vm_id = standalone["vms"]["use_case"]
    wait_ready(cloud, vm_id)
    superlink = cloud.booted[vm_id]
    training = json.loads(superlink.read_file("/etc/opennebula-flower/training.json"))
    assert (training["use-case"], training["framework"]) == ("anomaly-detection", "sklearn")
    # train.yml takes the use case as its default: its use-case rule names it when -e asks for another strategy.
    result = superlink.exec("/usr/local/sbin/opennebula-flower-run", "train", "-e", "flower_train_force=true",
                            "-e", "flower_train_strategy=Krum", check=False, timeout=600)
    assert result.rc != 0
    assert "flower_train_use_case=anomaly-detection runs FedAvg" in " ".join(result.stdout.split()), \
        result.stdout[-3000:]


def test_a_framework_the_image_did_not_bake_is_refused_at_boot(cloud, standalone):
    vm_id = standalone["vms"]["unbaked"]
    attrs = cloud.wait(lambda: cloud.user_template(vm_id) if "FL_ERROR" in cloud.user_template(vm_id) else None,
                       300, "FL_ERROR on VM %s" % vm_id)
    assert attrs["FL_READY"] == "NO"
    assert ("ONEAPP_FL_FRAMEWORK='pytorch' is not baked into this image (nothing is downloaded at boot); "
            "allowed: sklearn") in attrs["FL_ERROR"]
    assert cloud.booted[vm_id].unit_active("flower-supernode") != "active"
