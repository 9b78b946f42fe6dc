# -*- coding: utf-8 -*-
# Copyright: opennebula.flower contributors
# Apache License 2.0 (see LICENSE or https://www.apache.org/licenses/LICENSE-2.0)
"""flower_supernode_registration against the fake ``flwr``: check mode, idempotence, diff, absent, failures."""

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

import json
import os

import pytest

from ansible_collections.opennebula.flower.plugins.module_utils._flwr_registration import key_fingerprint
from ansible_collections.opennebula.flower.plugins.modules import flower_supernode_registration
from ansible_collections.opennebula.flower.tests.unit.plugins.modules.conftest_flwr import (  # noqa: F401 pylint: disable=unused-import
    ec_public_key, ed25519_public_key, fake_flwr)


@pytest.fixture
def register(run_module, fake_flwr, tmp_path):
    registry = str(tmp_path / 'registrations.json')

    def _run(public_key, check_mode=False, diff=False, **args):
        args = fake_flwr.args(public_key=public_key, **args)
        args.setdefault('registry', registry)
        return run_module(flower_supernode_registration, args, check_mode=check_mode, diff=diff)
    _run.registry = registry
    return _run


def read_json(path):
    with open(path) as handle:
        return json.load(handle)


def test_check_mode_predicts_registration_and_changes_nothing(register, fake_flwr):
    before = fake_flwr.raw_state()
    result = register(ec_public_key(), check_mode=True, diff=True)
    assert result['changed'] is True and result['node_id'] is None and result['status'] is None
    assert result['diff'] == {'before': {'registered': False, 'node_id': None},
                              'after': {'registered': True, 'node_id': None}}
    assert fake_flwr.raw_state() == before
    assert not os.path.exists(register.registry)


def test_registers_then_is_idempotent_with_the_same_node_id(register, fake_flwr):
    public_key = ec_public_key()
    result = register(public_key, diff=True)
    assert not result.get('failed'), result.get('msg')
    node_id = result['node_id']
    assert result['changed'] is True and result['status'] == 'registered'
    assert result['fingerprint'] == key_fingerprint(public_key)
    assert fake_flwr.state()['keys'] == {public_key.split()[1]: node_id}
    assert fake_flwr.node(node_id) == {'id': node_id, 'status': 'registered'}
    assert read_json(register.registry) == {result['fingerprint']: node_id}
    assert result['diff'] == {'before': {'registered': False, 'node_id': None},
                              'after': {'registered': True, 'node_id': node_id}}

    before = fake_flwr.raw_state()
    for check_mode in (True, False):
        again = register(public_key, check_mode=check_mode, diff=True)
        assert again['changed'] is False and again['node_id'] == node_id and again['status'] == 'registered'
        assert again['diff']['before'] == again['diff']['after'] == {'registered': True, 'node_id': node_id}
    assert fake_flwr.raw_state() == before
    assert fake_flwr.commands().count('supernode register') == 1


def test_status_follows_the_superlink(register, fake_flwr):
    public_key = ec_public_key()
    node_id = register(public_key)['node_id']
    fake_flwr.update(nodes=[{'id': node_id, 'status': 'online'}])
    result = register(public_key)
    assert result['changed'] is False and result['status'] == 'online' and result['node_id'] == node_id


def test_over_tls(register, fake_flwr):
    fake_flwr.use_tls()
    result = register(ec_public_key())
    assert not result.get('failed'), result.get('msg')
    assert result['changed'] is True and result['status'] == 'registered'


def test_key_registered_elsewhere_is_present_with_unknown_node_id(register, fake_flwr):
    public_key = ec_public_key()
    fake_flwr.add_node('online', public_key=public_key)
    before = fake_flwr.raw_state()
    result = register(public_key)
    assert not result.get('failed'), result.get('msg')
    assert result['changed'] is False and result['node_id'] is None and result['status'] == 'registered'
    assert fake_flwr.raw_state() == before


def test_without_registry_registers_but_cannot_name_the_node_later(register, fake_flwr):
    public_key = ec_public_key()
    first = register(public_key, registry=None)
    assert first['changed'] is True and first['node_id'] == fake_flwr.state()['nodes'][0]['id']
    second = register(public_key, registry=None)
    assert second['changed'] is False and second['node_id'] is None


def test_absent_check_apply_and_idempotent(register, fake_flwr):
    public_key = ec_public_key()
    node_id = register(public_key)['node_id']
    before = fake_flwr.raw_state()
    planned = register(public_key, state='absent', check_mode=True, diff=True)
    assert planned['changed'] is True and planned['node_id'] == node_id
    assert fake_flwr.raw_state() == before

    result = register(public_key, state='absent', diff=True)
    assert result['changed'] is True and result['node_id'] == node_id and result['status'] is None
    assert result['diff'] == {'before': {'registered': True, 'node_id': node_id},
                              'after': {'registered': False, 'node_id': node_id}}
    assert fake_flwr.node(node_id)['status'] == 'unregistered'

    after = fake_flwr.raw_state()
    for check_mode in (True, False):
        again = register(public_key, state='absent', check_mode=check_mode)
        assert again['changed'] is False and again['node_id'] == node_id
    assert fake_flwr.raw_state() == after
    assert fake_flwr.commands().count('supernode unregister') == 1


def test_unregistered_key_fails_present_and_asks_for_a_new_key(register, fake_flwr):
    public_key = ec_public_key()
    node_id = register(public_key)['node_id']
    register(public_key, state='absent')
    for check_mode in (True, False):
        result = register(public_key, check_mode=check_mode)
        assert result['failed'] is True
        assert 'registered as node %s and then unregistered' % node_id in result['msg']
        assert 'rotate the SuperNode key' in result['msg']
    assert fake_flwr.commands().count('supernode register') == 1


def test_absent_with_node_id_and_no_registry(register, fake_flwr):
    node_id = fake_flwr.add_node('online')
    result = register(ec_public_key(), state='absent', node_id=node_id, registry=None)
    assert result['changed'] is True and result['node_id'] == node_id
    assert fake_flwr.node(node_id)['status'] == 'unregistered'


def test_absent_of_unknown_key_is_not_changed(register, fake_flwr):
    before = fake_flwr.raw_state()
    result = register(ec_public_key(), state='absent')
    assert result['changed'] is False and result['node_id'] is None
    assert fake_flwr.raw_state() == before


@pytest.mark.parametrize('public_key', ['ssh-rsa AAAAB3NzaC1yc2EAAAADAQABAAABAQ== user', 'not a key', 'ed25519'])
def test_non_ec_public_key_fails_naming_the_option(register, fake_flwr, public_key):
    if public_key == 'ed25519':
        public_key = ed25519_public_key()
    result = register(public_key)
    assert result['failed'] is True and result['msg'].startswith('public_key must be an OpenSSH EC public key')
    assert 'supernode register' not in fake_flwr.commands()


def test_root_certificates_required_without_insecure(run_module, fake_flwr):
    args = fake_flwr.args(public_key=ec_public_key())
    del args['insecure']
    result = run_module(flower_supernode_registration, args)
    assert result['failed'] is True
    assert result['msg'] == 'root_certificates is required unless insecure=true (superlink=%s)' % fake_flwr.address
    assert fake_flwr.calls() == []


def test_missing_root_certificates_file(run_module, fake_flwr, tmp_path):
    fake_flwr.use_tls()
    result = run_module(flower_supernode_registration,
                        fake_flwr.args(public_key=ec_public_key(), root_certificates=str(tmp_path / 'nope.crt')))
    assert result['failed'] is True
    assert result['msg'] == 'root_certificates: %s does not exist' % (tmp_path / 'nope.crt')


def test_superlink_failure_is_reported(register, fake_flwr):
    fake_flwr.fail('supernode register', 'Failed to register the SuperNode\n[code: 5] Permission denied.')
    result = register(ec_public_key())
    assert result['failed'] is True and 'failed: ' in result['msg'] and '[code: 5] Permission denied.' in result['msg']


def test_wrong_trust_is_caught_by_the_fake(register, fake_flwr):
    fake_flwr.use_tls()
    result = register(ec_public_key(), insecure=True, root_certificates=None)
    assert result['failed'] is True and 'FAKE-FLWR VIOLATION: expected TLS' in result['msg']
