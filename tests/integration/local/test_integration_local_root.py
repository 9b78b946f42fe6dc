"""The local federation lives in one place whichever way its playbooks are started: the checkout's .local (or
FLOWER_LOCAL_ROOT), for the SuperLink and every SuperNode, not beside the playbook that happens to run."""

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[3]
BIN = Path(sys.executable).parent
ROOT_OF = re.compile(r"local root of (\S+) is (\S+)")

PROBE = """
- ansible.builtin.import_playbook: {entry}
- name: Where the local federation lives
  hosts: local
  gather_facts: false
  tags: [always]
  tasks:
    - name: Show the root
      ansible.builtin.debug:
        msg: "local root of {{{{ inventory_hostname }}}} is {{{{ flower_local_root }}}}"
"""


def roots(tmp_path, entry, cwd, env_root=None):
    """{host: flower_local_root} after preflight, with the probe playbook in a directory of its own."""
    probe = tmp_path / "probe" / "where.yml"
    probe.parent.mkdir(exist_ok=True)
    probe.write_text(PROBE.format(entry=entry))
    env = {k: v for k, v in os.environ.items() if k != "FLOWER_LOCAL_ROOT"}
    env.update(ANSIBLE_CONFIG=str(ROOT / "ansible.cfg"), ANSIBLE_NOCOLOR="1")
    if env_root:
        env["FLOWER_LOCAL_ROOT"] = env_root
    # Check mode: preflight would create the root directory.
    proc = subprocess.run([str(BIN / "ansible-playbook"), "-i", str(ROOT / "inventories/local/hosts.yml"), str(probe),
                           "--check", "--tags", "preflight,always", "-e", json.dumps({"flower_local_supernodes": 2})],
                          cwd=cwd, env=env, capture_output=True, text=True, timeout=300, check=False)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-2000:]
    return dict(ROOT_OF.findall(proc.stdout))


@pytest.mark.parametrize("entry", ["opennebula.flower.preflight", str(ROOT / "playbooks/preflight.yml")])
def test_every_host_uses_the_checkouts_local_root_from_any_directory(tmp_path, entry):
    for cwd in (ROOT, tmp_path):
        assert roots(tmp_path, entry, cwd) == {host: str(ROOT / ".local")
                                               for host in ("superlink", "supernode1", "supernode2")}


def test_flower_local_root_overrides_it(tmp_path):
    assert set(roots(tmp_path, "opennebula.flower.preflight", ROOT, str(tmp_path / "fed")).values()) == {
        str(tmp_path / "fed")}
