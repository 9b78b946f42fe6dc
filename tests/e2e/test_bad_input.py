"""Bad input fails before anything changes, with a message naming the variable, its value and what is allowed."""

import os
import socket
import subprocess
import sys
import time

import pytest

from ansible_collections.opennebula.flower.plugins.module_utils._flower_layouts import problem
from tests.e2e.federation import REPO, LocalFederation

CA_PEM = """-----BEGIN CERTIFICATE-----
MIIBfzCCASWgAwIBAgIUJ3n0kq5ZQ0mJ5mZcl3v1h1Yd2gswCgYIKoZIzj0EAwIw
-----END CERTIFICATE-----"""


@pytest.fixture
def fed():
    federation = LocalFederation("1.42.0", 19650)
    yield federation
    federation.destroy()


def assert_nothing_deployed(federation):
    # preflight makes the (empty) root directory; no virtualenv, certificate, service or state may exist.
    assert [path.name for path in federation.root.iterdir()] == []


def test_unsupported_flower_version(fed):
    fed.version = "9.9.9"
    proc = fed.playbook("site.yml", check=False)
    assert proc.returncode != 0
    assert "flower_version=9.9.9 %s" % problem("9.9.9") in proc.stdout
    assert_nothing_deployed(fed)


def test_wrong_variable_type(fed):
    proc = fed.playbook("site.yml", "-e", "superlink_fleet_port=ninety", check=False)
    assert proc.returncode != 0
    assert "superlink_fleet_port" in proc.stdout and "int" in proc.stdout
    assert_nothing_deployed(fed)


@pytest.mark.parametrize("extra, message", [
    ("flower_local_supernodes=abc", "flower_local_supernodes=abc is invalid; allowed: a whole number of SuperNodes, "
                                    "at least 1"),
    ("flower_local_supernodes=0", "flower_local_supernodes=0 is invalid"),
    ("flower_local_port_base=80", "flower_local_port_base=80 is invalid: the SuperLink listens on base+1 to base+3 "
                                  "and SuperNode i on base+10+i, and the services run unprivileged, so none may be "
                                  "below 1024 or above 65535; allowed: an integer from 1023 to 65523"),
])
def test_local_size_and_ports(fed, extra, message):
    proc = fed.playbook("site.yml", "-e", extra, check=False)
    assert proc.returncode != 0
    assert message in " ".join(proc.stdout.split()), proc.stdout[-3000:]
    assert_nothing_deployed(fed)


def listening(port):
    with socket.socket() as probe:
        return probe.connect_ex(("127.0.0.1", port)) == 0


def test_a_port_another_program_holds(fed):
    fleet = fed.port_base + 2
    server = subprocess.Popen([sys.executable, "-m", "http.server", "--bind", "127.0.0.1", str(fleet)],
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.time() + 30
        while time.time() < deadline and not listening(fleet):
            time.sleep(0.2)
        proc = fed.playbook("site.yml", check=False)
    finally:
        server.kill()
        server.wait()
    assert proc.returncode != 0
    assert ("flower_local_port_base=%d: port %d is held by process %d (%s -m http.server --bind 127.0.0.1 %d), not a "
            "service of this federation (%s); allowed: stop that program" % (fed.port_base, fleet, server.pid,
                                                                             sys.executable, fleet, fed.root)
            ) in " ".join(proc.stdout.split()), proc.stdout[-3000:]
    assert_nothing_deployed(fed)


def test_operator_ca_without_its_key(fed):
    proc = fed.playbook("site.yml", "-e", "superlink_tls_operator_ca_cert='%s'" % CA_PEM, check=False)
    assert proc.returncode != 0
    assert "superlink_tls_operator_ca_cert" in proc.stdout and "superlink_tls_operator_ca_key" in proc.stdout
    assert_nothing_deployed(fed)


def test_unreachable_superlink(fed):
    env = dict(fed.env, TEST_CA_PEM=CA_PEM)
    proc = subprocess.run(
        [os.path.join(os.path.dirname(fed.env["PATH"].split(":")[0]), "bin", "ansible-playbook"),
         str(REPO / "tests/e2e/playbooks/supernode_unreachable_superlink.yml")],
        cwd=REPO, env=env, capture_output=True, text=True, timeout=600, check=False)
    assert proc.returncode != 0
    assert "supernode_superlink_address=127.0.0.1:9" in proc.stdout and "does not answer" in proc.stdout
    assert "changed=0" in proc.stdout
    assert_nothing_deployed(fed)
