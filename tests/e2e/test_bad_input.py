"""Bad input fails before anything changes, with a message naming the variable, its value and what is allowed."""

import os
import subprocess

import pytest

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
    assert "flower_version=9.9.9 is not a supported Flower release; allowed: 1.42.x, 1.31.x" in proc.stdout
    assert_nothing_deployed(fed)


def test_wrong_variable_type(fed):
    proc = fed.playbook("site.yml", "-e", "superlink_fleet_port=ninety", check=False)
    assert proc.returncode != 0
    assert "superlink_fleet_port" in proc.stdout and "int" in proc.stdout
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
