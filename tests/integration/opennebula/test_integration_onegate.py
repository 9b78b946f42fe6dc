# -*- coding: utf-8 -*-
# Copyright: opennebula.flower contributors
# Apache License 2.0 (see LICENSE or https://www.apache.org/licenses/LICENSE-2.0)
"""onegate_vm and onegate_service_info, run as the simulator's VMs with the one_env file they would get."""

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

import pytest

from ansible_collections.opennebula.flower.plugins.module_utils._one_xmlrpc import OneXMLRPCClient
from ansible_collections.opennebula.flower.plugins.modules import oneflow_service, oneflow_template, \
    onegate_service_info, onegate_vm
from tests.integration.opennebula.conftest import FAST_POLL, sim_args
from tests.integration.opennebula.helpers import flower_template, vm_template


def _service(sim, run_module, wait=True):
    args = sim_args(sim)
    client = OneXMLRPCClient(sim.xmlrpc_url, sim.username, sim.password)
    template = run_module(oneflow_template, dict(args, name='fl-cluster', template=flower_template(vm_template(client))))
    result = run_module(oneflow_service, dict(args, name='fl-run', template_id=template['id'], wait=wait,
                                              user_inputs_values={'FL_NUM_ROUNDS': 3}, **FAST_POLL))
    assert result['changed'] and not result.get('failed'), result
    return result['service_id'], client


def _vm_ids(sim, service_id):
    return dict((r['name'], [n['deploy_id'] for n in r.get('nodes') or []]) for r in sim.service(service_id)['roles'])


def _as_vm(sim, vm_id, tmp_path):
    directory = str(tmp_path / ('vm%d' % vm_id))
    paths = sim.write_context(vm_id, directory)
    return {'one_env_path': paths['one_env']}


@pytest.fixture
def running(sim, run_module):
    service_id, client = _service(sim, run_module)
    return service_id, client, _vm_ids(sim, service_id)


def test_publish_sequence_visible_to_peers_and_oned(sim, running, run_module, tmp_path):
    service_id, client, vms = running
    superlink, supernode = vms['superlink'][0], vms['supernode'][0]
    args = dict(_as_vm(sim, superlink, tmp_path), attributes={'FL_ENDPOINT': '10.10.0.10:9092', 'FL_READY': True})

    check = run_module(onegate_vm, args, check_mode=True, diff=True)
    assert check['changed'] and check['diff'] == {'before': {}, 'after': {'FL_ENDPOINT': '10.10.0.10:9092',
                                                                          'FL_READY': 'YES'}}
    assert 'FL_ENDPOINT' not in check['user_template']
    applied = run_module(onegate_vm, args)
    assert applied['changed'] and applied['user_template']['FL_ENDPOINT'] == '10.10.0.10:9092'
    assert applied['vm']['VM']['ID'] == str(superlink)
    assert not run_module(onegate_vm, args)['changed']

    # The publication changed the shared VM: oned and a peer (extended /service) see it.
    assert client.vm_info(superlink)['USER_TEMPLATE']['FL_ENDPOINT'] == '10.10.0.10:9092'
    peer = run_module(onegate_service_info, _as_vm(sim, supernode, tmp_path))
    roles = dict((r['name'], r) for r in peer['roles'])
    assert roles['superlink']['nodes'][0]['user_template']['FL_ENDPOINT'] == '10.10.0.10:9092'
    assert peer['service_id'] == service_id and peer['service_name'] == 'fl-run'
    assert len(roles['supernode']['nodes']) == 2

    erase = dict(_as_vm(sim, superlink, tmp_path), state='absent', names=['FL_READY'])
    check_erase = run_module(onegate_vm, erase, check_mode=True, diff=True)
    assert check_erase['changed'] and check_erase['diff'] == {'before': {'FL_READY': 'YES'}, 'after': {}}
    assert run_module(onegate_vm, erase)['changed']
    assert 'FL_READY' not in client.vm_info(superlink)['USER_TEMPLATE']
    assert not run_module(onegate_vm, erase)['changed']


def test_restricted_attribute_is_403(sim, running, run_module, tmp_path):
    dummy, dummy2, vms = running
    result = run_module(onegate_vm, dict(_as_vm(sim, vms['supernode'][0], tmp_path), attributes={'SERVICE_ID': '9'}))
    assert result['failed'] and result['status'] == 403 and 'SERVICE_ID' in result['msg']


def test_bad_token_is_401(sim, running, run_module):
    dummy, dummy2, vms = running
    result = run_module(onegate_vm, dict(onegate_endpoint=sim.onegate_url, vm_id=vms['superlink'][0],
                                         token='AAAAAAAAAAAAAAAAAAAAAA==', attributes={'A': 1}))
    assert result['failed'] and result['status'] == 401 and 'Not authorized' in result['msg']


def test_missing_one_env_is_a_clear_error(run_module, tmp_path):
    result = run_module(onegate_vm, dict(one_env_path=str(tmp_path / 'none'), attributes={'A': 1}))
    assert result['failed'] and 'cannot read' in result['msg'] and 'vm_id' in result['msg']


def test_wait_for_attribute_while_the_service_deploys(sim, run_module, tmp_path):
    service_id, dummy = _service(sim, run_module, wait=False)
    sim.advance_until(lambda: _vm_ids(sim, service_id)['superlink'] and
                      sim.vm(_vm_ids(sim, service_id)['superlink'][0]).state == 3, timeout=120)
    superlink = _vm_ids(sim, service_id)['superlink'][0]
    assert _vm_ids(sim, service_id)['supernode'] == []
    result = run_module(onegate_service_info, dict(_as_vm(sim, superlink, tmp_path), wait_for_attribute='READY',
                                                   role='supernode', **FAST_POLL))
    assert not result.get('failed'), result
    nodes = dict((r['name'], r) for r in result['roles'])['supernode']['nodes']
    assert len(nodes) == 2 and all(n['user_template']['READY'] == 'YES' for n in nodes)


def test_wait_for_attribute_times_out(sim, running, run_module, tmp_path):
    dummy, dummy2, vms = running
    result = run_module(onegate_service_info, dict(_as_vm(sim, vms['supernode'][0], tmp_path),
                                                   wait_for_attribute='NEVER', role='superlink', poll_interval=0.02,
                                                   max_poll_interval=0.05, wait_timeout=1))
    assert result['failed'] and 'timed out' in result['msg'] and result['roles']
