# -*- coding: utf-8 -*-
# Copyright: opennebula.flower contributors
# Apache License 2.0 (see LICENSE or https://www.apache.org/licenses/LICENSE-2.0)
"""The ``fake_flwr`` fixture: a fake ``flwr`` executable (see ``fake_flwr.py``) with its state in tmp_path.

Import it into a test module with
``from ansible_collections.opennebula.flower.tests.unit.plugins.modules.conftest_flwr import fake_flwr``.
"""

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

import json
import os
import subprocess
import sys

import pytest

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519

from ansible_collections.opennebula.flower.plugins.module_utils._flwr import FlwrCli

FAKE_SOURCE = os.path.join(os.path.dirname(os.path.abspath(__file__)), 'fake_flwr.py')
ADDRESS = '127.0.0.1:19092'
RUN_SCRIPT = ['pending', 'running', 'finished:completed']
RUN_LOG = ['INFO :      Starting Flower ServerApp', 'INFO :      [ROUND 1]', 'INFO :      Run finished']


def ec_public_key(curve=None):
    """A fresh OpenSSH EC public key line (P-384 by default)."""
    key = ec.generate_private_key(curve or ec.SECP384R1())
    return key.public_key().public_bytes(serialization.Encoding.OpenSSH,
                                         serialization.PublicFormat.OpenSSH).decode('ascii')


def ed25519_public_key():
    key = ed25519.Ed25519PrivateKey.generate()
    return key.public_key().public_bytes(serialization.Encoding.OpenSSH,
                                         serialization.PublicFormat.OpenSSH).decode('ascii')


class FakeFlwr(object):
    def __init__(self, tmp_path):
        self.dir = tmp_path / 'fake-flwr'
        self.dir.mkdir()
        self.path = str(self.dir / 'flwr')
        self.state_path = str(self.dir / 'state.json')
        self.calls_path = str(self.dir / 'calls.jsonl')
        self.address = ADDRESS
        self.ca = str(tmp_path / 'ca.crt')
        with open(self.ca, 'w') as handle:
            handle.write('-----BEGIN CERTIFICATE-----\nnot checked by the fake\n-----END CERTIFICATE-----\n')
        with open(self.path, 'w') as handle:
            # -S: the fake needs only the standard library, and skipping site.py keeps each call quick.
            handle.write('#!%s -S\n' % sys.executable)
            handle.write('import runpy\n')
            handle.write('runpy.run_path(%r, init_globals={"STATE_PATH": %r, "CALLS_PATH": %r}, run_name="__main__")\n'
                         % (FAKE_SOURCE, self.state_path, self.calls_path))
        os.chmod(self.path, 0o755)
        open(self.calls_path, 'w').close()
        self.write({
            'expect': {'address': self.address, 'insecure': True},
            'nodes': [], 'keys': {}, 'runs': {},
            'next_node_id': 12426622708860319678, 'next_run_id': 5341658267093349778,
            'next_run': {'script': list(RUN_SCRIPT), 'log': list(RUN_LOG)},
            'fail': {},
        })

    # State

    def state(self):
        with open(self.state_path) as handle:
            return json.load(handle)

    def raw_state(self):
        with open(self.state_path, 'rb') as handle:
            return handle.read()

    def write(self, state):
        with open(self.state_path, 'w') as handle:
            json.dump(state, handle, indent=2, sort_keys=True)

    def update(self, **changes):
        state = self.state()
        state.update(changes)
        self.write(state)

    def calls(self):
        with open(self.calls_path) as handle:
            return [json.loads(line)['argv'] for line in handle if line.strip()]

    def commands(self):
        """The command words of every call so far, e.g. ['supernode list', 'run', 'list']."""
        return [' '.join(argv[:2]) if argv[0] == 'supernode' else argv[0] for argv in self.calls()]

    # Scenario helpers

    def use_tls(self):
        self.update(expect={'address': self.address, 'root-certificates': self.ca})

    def add_node(self, status='online', public_key=None, later=()):
        """A node with STATUS now; each later 'supernode list' call moves it to the next of LATER."""
        state = self.state()
        node_id = state['next_node_id']
        state['next_node_id'] += 7919
        state['nodes'].append({'id': node_id, 'status': status, 'later': list(later)})
        if public_key is not None:
            state['keys'][public_key.split()[1]] = node_id
        self.write(state)
        return node_id

    def node(self, node_id):
        for node in self.state()['nodes']:
            if node['id'] == node_id:
                return node
        return None

    def next_run(self, script, log=None, details='N/A'):
        self.update(next_run={'script': list(script), 'log': list(RUN_LOG if log is None else log),
                              'details': details})

    def run(self, run_id):
        return self.state()['runs'].get(str(run_id))

    def fail(self, command, message):
        state = self.state()
        state['fail'][command] = message
        self.write(state)

    # Module arguments

    def args(self, **extra):
        """Connection arguments for a module (insecure unless use_tls() was called)."""
        args = dict(superlink=self.address, flwr=self.path)
        if self.state()['expect'].get('insecure'):
            args['insecure'] = True
        else:
            args['root_certificates'] = self.ca
        args.update(extra)
        return args


@pytest.fixture
def fake_flwr(tmp_path):
    return FakeFlwr(tmp_path)


def run_command(argv, environ_update=None):
    """AnsibleModule.run_command's contract: an argv list, the environment update, (rc, stdout, stderr)."""
    env = dict(os.environ)
    env.update(environ_update or {})
    proc = subprocess.run(argv, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                          universal_newlines=True, check=False)
    return proc.returncode, proc.stdout, proc.stderr


@pytest.fixture
def cli(fake_flwr):  # pylint: disable=redefined-outer-name
    """A FlwrCli talking to the fake flwr."""
    with FlwrCli(run_command, fake_flwr.path, fake_flwr.address, insecure=True) as client:
        yield client
