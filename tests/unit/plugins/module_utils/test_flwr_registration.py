# -*- coding: utf-8 -*-
# Copyright: opennebula.flower contributors
# Apache License 2.0 (see LICENSE or https://www.apache.org/licenses/LICENSE-2.0)
"""_flwr_registration: key fingerprints, the locked registry file, and plan/apply of a registration against the
fake ``flwr`` (key in use = code 23, an unregistered key never comes back)."""

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

import base64
import hashlib
import json
import multiprocessing
import os
import shutil
import stat
import subprocess

import pytest

from cryptography.hazmat.primitives.asymmetric import ec

from ansible_collections.opennebula.flower.plugins.module_utils import _tls
from ansible_collections.opennebula.flower.plugins.module_utils._flwr_registration import (
    Registration, RegistrationError, Registry, key_fingerprint, node_status)
from ansible_collections.opennebula.flower.tests.unit.plugins.modules.conftest_flwr import (  # noqa: F401 pylint: disable=unused-import
    cli, ec_public_key, ed25519_public_key, fake_flwr)


@pytest.fixture
def registry_path(tmp_path):
    return str(tmp_path / 'registrations.json')


def read_json(path):
    with open(path) as handle:
        return json.load(handle)


# key_fingerprint

@pytest.mark.parametrize('curve', [ec.SECP256R1(), ec.SECP384R1(), ec.SECP521R1()])
def test_fingerprint_is_sha256_of_the_key_blob_like_ssh_keygen(curve):
    public_key = ec_public_key(curve) + ' node@host'
    blob = base64.b64decode(public_key.split()[1])
    expected = 'SHA256:' + base64.b64encode(hashlib.sha256(blob).digest()).decode('ascii').rstrip('=')
    assert key_fingerprint(public_key) == expected == _tls.ssh_fingerprint(public_key)
    assert key_fingerprint('  ' + public_key + '\n') == expected


@pytest.mark.skipif(shutil.which('ssh-keygen') is None, reason='ssh-keygen is not installed')
def test_fingerprint_matches_ssh_keygen(tmp_path):
    public_key = ec_public_key()
    (tmp_path / 'k.pub').write_text(public_key + '\n')
    out = subprocess.check_output(['ssh-keygen', '-l', '-E', 'sha256', '-f', str(tmp_path / 'k.pub')],
                                  universal_newlines=True)
    assert out.split()[1] == key_fingerprint(public_key)


@pytest.mark.parametrize('bad', [
    '', 'garbage', 'ecdsa-sha2-nistp384',
    'ssh-rsa AAAAB3NzaC1yc2EAAAADAQABAAABAQ== user',
])
def test_fingerprint_rejects_non_ec_keys_naming_public_key(bad):
    with pytest.raises(RegistrationError, match='public_key must be an OpenSSH EC public key'):
        key_fingerprint(bad)


def test_fingerprint_rejects_ed25519():
    with pytest.raises(RegistrationError, match='public_key must be an OpenSSH EC public key'):
        key_fingerprint(ed25519_public_key())


def test_fingerprint_rejects_bad_base64():
    with pytest.raises(RegistrationError, match='not valid base64'):
        key_fingerprint('ecdsa-sha2-nistp384 AAAA$$$not-base64')


# Registry

def test_registry_without_path_lives_in_memory():
    registry = Registry(None)
    registry.put('SHA256:a', 0)
    assert registry.get('SHA256:a') == 0
    registry.remove('SHA256:a')
    assert registry.get('SHA256:a') is None


def test_registry_persists_private_json_and_uses_atomic_move(registry_path):
    moves = []

    def atomic_move(src, dest):
        moves.append((os.path.dirname(src), dest))
        os.rename(src, dest)

    registry = Registry(registry_path, atomic_move)
    assert registry.entries == {}
    registry.put('SHA256:a', 12426622708860319678)
    assert read_json(registry_path) == {'SHA256:a': 12426622708860319678}
    assert stat.S_IMODE(os.stat(registry_path).st_mode) == 0o600
    assert moves == [(os.path.dirname(registry_path), registry_path)]
    assert Registry(registry_path).get('SHA256:a') == 12426622708860319678
    registry.remove('SHA256:a')
    assert read_json(registry_path) == {}
    assert [n for n in os.listdir(os.path.dirname(registry_path)) if n.startswith('.registry-')] == []


def test_registry_update_rereads_the_file_so_stale_writers_lose_nothing(registry_path):
    first, second = Registry(registry_path), Registry(registry_path)
    first.put('SHA256:a', 1)
    second.put('SHA256:b', 2)  # loaded before 'a' was written
    assert read_json(registry_path) == {'SHA256:a': 1, 'SHA256:b': 2}


def _put_many(path, worker):
    for i in range(10):
        Registry(path).put('SHA256:%d-%d' % (worker, i), worker * 100 + i)


def test_registry_parallel_writers_keep_every_entry(registry_path):
    context = multiprocessing.get_context('fork')
    workers = [context.Process(target=_put_many, args=(registry_path, w)) for w in range(6)]
    for proc in workers:
        proc.start()
    for proc in workers:
        proc.join(30)
        assert proc.exitcode == 0
    entries = read_json(registry_path)
    assert len(entries) == 60 and entries['SHA256:5-9'] == 509


def test_node_status_compares_ids_as_strings_and_knows_id_zero():
    nodes = [{'node-id': '0', 'status': 'online'}, {'node-id': '12426622708860319678', 'status': 'registered'}]
    assert node_status(nodes, 0) == 'online'
    assert node_status(nodes, 12426622708860319678) == 'registered'
    assert node_status(nodes, 5) is None


# Registration: present

def test_plan_for_a_new_key_registers_and_changes_nothing(cli, fake_flwr, registry_path):
    before = fake_flwr.raw_state()
    registration = Registration(cli, Registry(registry_path), ec_public_key())
    assert registration.ensure_present(check_mode=True) == (True, None, None)
    assert fake_flwr.raw_state() == before
    assert not os.path.exists(registry_path)
    assert 'supernode register' not in fake_flwr.commands()


def test_present_registers_records_and_is_idempotent(cli, fake_flwr, registry_path):
    public_key = ec_public_key()
    registration = Registration(cli, Registry(registry_path), public_key)
    changed, node_id, status = registration.ensure_present(check_mode=False)
    assert changed is True and status == 'registered'
    assert fake_flwr.state()['keys'] == {public_key.split()[1]: node_id}
    assert read_json(registry_path) == {key_fingerprint(public_key): node_id}

    fake_flwr.update(nodes=[{'id': node_id, 'status': 'online'}])
    before = fake_flwr.raw_state()
    again = Registration(cli, Registry(registry_path), public_key)
    assert again.ensure_present(check_mode=True) == (False, node_id, 'online')
    assert again.ensure_present(check_mode=False) == (False, node_id, 'online')
    assert fake_flwr.raw_state() == before
    assert fake_flwr.commands().count('supernode register') == 1


def test_present_sends_the_key_line_to_flwr(cli, fake_flwr):
    public_key = ec_public_key()
    Registration(cli, Registry(None), '  ' + public_key + '  ').ensure_present(check_mode=False)
    assert public_key.split()[1] in fake_flwr.state()['keys']


def test_key_in_use_without_a_record_is_present_with_unknown_node_id(cli, fake_flwr, registry_path):
    public_key = ec_public_key()
    fake_flwr.add_node('online', public_key=public_key)
    before = fake_flwr.raw_state()
    registration = Registration(cli, Registry(registry_path), public_key)
    assert registration.ensure_present(check_mode=False) == (False, None, 'registered')
    assert fake_flwr.raw_state() == before
    assert not os.path.exists(registry_path)


def test_unregistered_key_can_never_come_back(cli, fake_flwr, registry_path):
    public_key = ec_public_key()
    node_id = fake_flwr.add_node('unregistered', public_key=public_key)
    Registry(registry_path).put(key_fingerprint(public_key), node_id)
    registration = Registration(cli, Registry(registry_path), public_key)
    for check_mode in (True, False):
        with pytest.raises(RegistrationError) as err:
            registration.ensure_present(check_mode=check_mode)
        assert 'node %s' % node_id in str(err.value) and 'rotate the SuperNode key' in str(err.value)
    assert 'supernode register' not in fake_flwr.commands()


def test_absent_then_present_still_knows_the_key_is_gone(cli, fake_flwr, registry_path):
    public_key = ec_public_key()
    Registration(cli, Registry(registry_path), public_key).ensure_present(check_mode=False)
    changed, node_id = Registration(cli, Registry(registry_path), public_key).ensure_absent(check_mode=False)
    assert changed is True and fake_flwr.node(node_id)['status'] == 'unregistered'
    with pytest.raises(RegistrationError, match='rotate the SuperNode key'):
        Registration(cli, Registry(registry_path), public_key).ensure_present(check_mode=False)


def test_record_of_a_node_the_superlink_forgot_registers_again(cli, fake_flwr, registry_path):
    public_key = ec_public_key()
    fingerprint = key_fingerprint(public_key)
    Registry(registry_path).put(fingerprint, 77)  # e.g. the SuperLink ran with in-memory state and restarted
    registration = Registration(cli, Registry(registry_path), public_key)
    assert registration.current() == (77, None)
    assert registration.ensure_present(check_mode=True) == (True, None, None)
    changed, node_id, status = registration.ensure_present(check_mode=False)
    assert changed is True and node_id != 77 and status == 'registered'
    assert read_json(registry_path) == {fingerprint: node_id}


def test_other_register_failures_are_errors_with_the_cli_message(cli, fake_flwr):
    fake_flwr.fail('supernode register', 'Failed to register the SuperNode\n[code: 5] Permission denied.')
    registration = Registration(cli, Registry(None), ec_public_key())
    with pytest.raises(RegistrationError) as err:
        registration.ensure_present(check_mode=False)
    assert str(err.value).startswith('registering %s failed:' % registration.fingerprint)
    assert '[code: 5] Permission denied.' in str(err.value)


# Registration: absent

def test_absent_plans_then_unregisters_then_is_idempotent(cli, fake_flwr, registry_path):
    public_key = ec_public_key()
    node_id = Registration(cli, Registry(registry_path), public_key).ensure_present(check_mode=False)[1]
    before = fake_flwr.raw_state()
    assert Registration(cli, Registry(registry_path), public_key).ensure_absent(check_mode=True) == (True, node_id)
    assert fake_flwr.raw_state() == before

    assert Registration(cli, Registry(registry_path), public_key).ensure_absent(check_mode=False) == (True, node_id)
    assert fake_flwr.node(node_id)['status'] == 'unregistered'
    after = fake_flwr.raw_state()
    for check_mode in (True, False):
        assert Registration(cli, Registry(registry_path), public_key).ensure_absent(check_mode) == (False, node_id)
    assert fake_flwr.raw_state() == after
    assert fake_flwr.commands().count('supernode unregister') == 1


def test_absent_of_an_unknown_key_does_nothing(cli, fake_flwr):
    before = fake_flwr.raw_state()
    assert Registration(cli, Registry(None), ec_public_key()).ensure_absent(check_mode=False) == (False, None)
    assert fake_flwr.raw_state() == before


def test_absent_with_node_id_when_the_registry_does_not_know_the_key(cli, fake_flwr):
    node_id = fake_flwr.add_node('online')
    registration = Registration(cli, Registry(None), ec_public_key())
    assert registration.ensure_absent(check_mode=True, node_id=node_id) == (True, node_id)
    assert fake_flwr.node(node_id)['status'] == 'online'
    assert registration.ensure_absent(check_mode=False, node_id=node_id) == (True, node_id)
    assert fake_flwr.node(node_id)['status'] == 'unregistered'
    assert registration.ensure_absent(check_mode=False, node_id=node_id) == (False, node_id)


def test_absent_with_node_id_judges_that_node_not_the_recorded_one(cli, fake_flwr, registry_path):
    public_key = ec_public_key()
    recorded = fake_flwr.add_node('unregistered', public_key=public_key)
    Registry(registry_path).put(key_fingerprint(public_key), recorded)
    other = fake_flwr.add_node('online')
    registration = Registration(cli, Registry(registry_path), public_key)
    assert registration.ensure_absent(check_mode=False, node_id=other) == (True, other)
    assert fake_flwr.node(other)['status'] == 'unregistered'


def test_absent_forgets_a_record_the_superlink_no_longer_knows(cli, fake_flwr, registry_path):
    public_key = ec_public_key()
    Registry(registry_path).put(key_fingerprint(public_key), 77)
    assert Registration(cli, Registry(registry_path), public_key).ensure_absent(check_mode=True) == (False, 77)
    assert read_json(registry_path) != {}
    assert Registration(cli, Registry(registry_path), public_key).ensure_absent(check_mode=False) == (False, 77)
    assert read_json(registry_path) == {}


def test_unregister_failure_is_an_error(cli, fake_flwr):
    node_id = fake_flwr.add_node('online')
    fake_flwr.fail('supernode unregister', '[code: 5] Permission denied.')
    with pytest.raises(RegistrationError, match=r'unregistering node %s failed: .*\[code: 5\]' % node_id):
        Registration(cli, Registry(None), ec_public_key()).ensure_absent(check_mode=False, node_id=node_id)
