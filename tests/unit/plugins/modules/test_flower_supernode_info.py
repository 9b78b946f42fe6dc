# -*- coding: utf-8 -*-
# Copyright: opennebula.flower contributors
# Apache License 2.0 (see LICENSE or https://www.apache.org/licenses/LICENSE-2.0)
"""flower_supernode_info against the fake ``flwr``: listing, node filter (id 0 too), failures, finding flwr."""

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

import os

import pytest

from ansible_collections.opennebula.flower.plugins.modules import flower_supernode_info
from ansible_collections.opennebula.flower.tests.unit.plugins.modules.conftest_flwr import (  # noqa: F401 pylint: disable=unused-import
    fake_flwr)


@pytest.fixture
def info(run_module, fake_flwr):
    def _run(check_mode=False, **args):
        return run_module(flower_supernode_info, fake_flwr.args(**args), check_mode=check_mode)
    return _run


def test_lists_nodes_and_counts_online(info, fake_flwr):
    online = [fake_flwr.add_node('online'), fake_flwr.add_node('online')]
    registered = fake_flwr.add_node('registered')
    before = fake_flwr.raw_state()
    for check_mode in (False, True):
        result = info(check_mode=check_mode)
        assert not result.get('failed'), result.get('msg')
        assert result['changed'] is False and result['online'] == 2 and result['status'] is None
        assert [(n['node-id'], n['status']) for n in result['nodes']] == \
            [(str(online[0]), 'online'), (str(online[1]), 'online'), (str(registered), 'registered')]
    assert fake_flwr.raw_state() == before


def test_empty_federation(info):
    result = info()
    assert result['nodes'] == [] and result['online'] == 0 and result['status'] is None


def test_node_id_filters_and_returns_status(info, fake_flwr):
    fake_flwr.add_node('online')
    wanted = fake_flwr.add_node('registered')
    result = info(node_id=wanted)
    assert result['status'] == 'registered' and result['online'] == 0
    assert [n['node-id'] for n in result['nodes']] == [str(wanted)]


def test_node_id_zero_is_a_real_id(info, fake_flwr):
    fake_flwr.update(nodes=[{'id': 0, 'status': 'online'}, {'id': 5, 'status': 'online'}])
    result = info(node_id=0)
    assert result['status'] == 'online' and result['online'] == 1 and result['nodes'][0]['node-id'] == '0'


def test_unknown_node_id(info, fake_flwr):
    fake_flwr.add_node('online')
    result = info(node_id=123)
    assert result['status'] is None and result['nodes'] == [] and result['online'] == 0


def test_over_tls(info, fake_flwr):
    fake_flwr.use_tls()
    fake_flwr.add_node('online')
    result = info()
    assert not result.get('failed'), result.get('msg')
    assert result['online'] == 1


def test_flwr_found_on_path(run_module, fake_flwr, monkeypatch):
    fake_flwr.add_node('online')
    monkeypatch.setenv('PATH', os.path.dirname(fake_flwr.path) + os.pathsep + os.environ.get('PATH', ''))
    result = run_module(flower_supernode_info, fake_flwr.args(flwr='flwr'))
    assert not result.get('failed'), result.get('msg')
    assert result['online'] == 1


def test_flwr_not_executable(run_module, fake_flwr, tmp_path):
    result = run_module(flower_supernode_info, fake_flwr.args(flwr=str(tmp_path / 'missing' / 'flwr')))
    assert result['failed'] is True and result['msg'] == 'flwr: %s is not an executable file' % (
        tmp_path / 'missing' / 'flwr')


def test_root_certificates_required_without_insecure(run_module, fake_flwr):
    args = fake_flwr.args()
    del args['insecure']
    result = run_module(flower_supernode_info, args)
    assert result['failed'] is True
    assert result['msg'] == 'root_certificates is required unless insecure=true (superlink=%s)' % fake_flwr.address
    assert fake_flwr.calls() == []


def test_list_failure_names_the_superlink(info, fake_flwr):
    fake_flwr.fail('supernode list', 'Connection to the SuperLink is unavailable\n[code: 1] Unavailable.')
    result = info()
    assert result['failed'] is True
    assert result['msg'].startswith('cannot list the SuperNodes of %s: ' % fake_flwr.address)
    assert '[code: 1] Unavailable.' in result['msg']


def test_wrong_address_is_caught_by_the_fake(info, fake_flwr):
    result = info(superlink='127.0.0.1:1')
    assert result['failed'] is True and 'FAKE-FLWR VIOLATION: address' in result['msg']


def test_wait_polls_until_the_node_is_online(info, fake_flwr):
    node = fake_flwr.add_node('registered', later=['registered', 'online'])
    result = info(node_id=node, wait=True, wait_timeout=30)
    assert not result.get('failed'), result.get('msg')
    assert result['status'] == 'online' and result['online'] == 1
    assert fake_flwr.commands() == ['supernode list'] * 3


def test_wait_fails_at_once_for_an_unregistered_node(info, fake_flwr):
    node = fake_flwr.add_node('unregistered', later=['online'])
    result = info(node_id=node, wait=True, wait_timeout=30)
    assert result['failed'] is True and result['status'] == 'unregistered'
    assert result['msg'].startswith('SuperNode %d is not online at %s: ' % (node, fake_flwr.address))
    assert fake_flwr.commands() == ['supernode list']


def test_wait_fails_at_once_for_a_node_the_superlink_does_not_know(info, fake_flwr):
    fake_flwr.add_node('online')
    result = info(node_id=42, wait=True, wait_timeout=30)
    assert result['failed'] is True and result['status'] is None
    assert fake_flwr.commands() == ['supernode list']


def test_wait_times_out_with_the_last_status(info, fake_flwr):
    node = fake_flwr.add_node('registered')
    result = info(node_id=node, wait=True, wait_timeout=1)
    assert result['failed'] is True and result['status'] == 'registered'
    assert 'timed out after 1s in state registered' in result['msg']
    assert len(fake_flwr.commands()) >= 2


def test_wait_needs_a_node_id(info, fake_flwr):
    result = info(wait=True)
    assert result['failed'] is True and 'node_id' in result['msg']
    assert fake_flwr.commands() == []
