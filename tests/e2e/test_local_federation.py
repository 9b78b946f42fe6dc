"""End to end: the playbooks deploy a real local federation (TLS + SuperNode auth) on both Flower layouts: the
federations the README's `make demo` lines deploy (tests/e2e/readme.py), right after the line that deployed each."""

import subprocess
import urllib.error
import urllib.request

import pytest

from ansible_collections.opennebula.flower.plugins.module_utils._flower_layouts import LAYOUTS

pytestmark = pytest.mark.e2e

NEW_KEY = """
import sys
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
key = ec.generate_private_key(ec.SECP384R1())
open(sys.argv[1], "wb").write(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.OpenSSH,
                                                serialization.NoEncryption()))
"""


@pytest.fixture(scope="module", params=[layout["release"] for layout in LAYOUTS.values()])
def federation(request, readme):
    _number, deployed = readme.first("flower_version", request.param)
    fed = deployed.fed
    fed.first = deployed.proc
    return fed


def test_first_run_trains_three_rounds_to_090(federation):
    run_id, metrics, run_dir = federation.last_run()
    assert [row["round"] for row in metrics["rounds"]] == [1, 2, 3]
    assert metrics["rounds"][-1]["eval_accuracy"] >= 0.9
    assert "Run %s finished:completed" % run_id in federation.first.stdout
    # The model file is the trained model: it classifies the held-out digits on its own.
    assert federation.model_accuracy(run_dir / "model.npz") >= 0.9


def test_both_supernodes_are_online_with_registered_keys(federation):
    nodes = federation.flwr("supernode", "list")["nodes"]
    assert sorted(node["status"] for node in nodes) == ["online", "online"]


def test_second_run_changes_nothing_and_does_not_retrain(federation):
    run_id = federation.last_run()[0]
    second = federation.playbook("site.yml")
    recap = federation.recap(second.stdout)
    assert set(recap) >= {"superlink", "supernode1", "supernode2"}
    assert all(host["changed"] == 0 and host["failed"] == 0 for host in recap.values()), recap
    assert federation.last_run()[0] == run_id
    assert "recorded run, not retrained" in second.stdout


def test_plaintext_client_is_refused(federation):
    answer = federation.flwr("supernode", "list", insecure=True)
    assert answer["success"] is False
    if federation.version.startswith("1.42"):
        with pytest.raises((urllib.error.URLError, ConnectionError)):
            urllib.request.urlopen("http://%s/health" % federation.fleet_address, timeout=10)


def test_supernode_with_unregistered_key_cannot_join(federation, tmp_path):
    key = tmp_path / "rogue.key"
    subprocess.run([str(federation.venv / "bin/python"), "-c", NEW_KEY, str(key)], check=True)
    own_api = (["--host", "127.0.0.1", "--port", str(federation.port_base + 50)]
               if federation.version.startswith("1.42")
               else ["--clientappio-api-address", "127.0.0.1:%d" % (federation.port_base + 50)])
    cmd = [str(federation.venv / "bin/flower-supernode"), "--superlink", federation.fleet_address,
           "--root-certificates", str(federation.ca_file), "--auth-supernode-private-key", str(key)] + own_api
    env = dict(federation.env, FLWR_HOME=str(tmp_path))
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        proc.wait(timeout=90)
    except subprocess.TimeoutExpired:
        pass
    finally:
        if proc.poll() is None:
            proc.kill()
        output = proc.communicate()[0]
    assert proc.returncode != 0, output
    nodes = federation.flwr("supernode", "list")["nodes"]
    assert sum(node["status"] == "online" for node in nodes) == 2
