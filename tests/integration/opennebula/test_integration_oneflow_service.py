# -*- coding: utf-8 -*-
# Copyright: opennebula.flower contributors
# Apache License 2.0 (see LICENSE or https://www.apache.org/licenses/LICENSE-2.0)
"""oneflow_service and oneflow_service_info: instantiate, wait, scale, COOLDOWN, failures, delete."""

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

from ansible_collections.opennebula.flower.plugins.module_utils._one_xmlrpc import OneXMLRPCClient
from ansible_collections.opennebula.flower.plugins.modules import oneflow_service, oneflow_service_info, \
    oneflow_template
from tests.integration.opennebula.conftest import FAST_POLL, sim_args
from tests.integration.opennebula.helpers import flower_template, vm_template


def _setup(backend_args, client, run_module, name='fl-cluster', ready_gate=True, vm_name='fl-node', full_context=False,
           with_nic=True):
    body = flower_template(vm_template(client, vm_name, with_nic), ready_gate)
    if full_context:
        # 6.x passes vm_template_contents as the extra template of one.template.instantiate, which replaces the
        # VM template's CONTEXT instead of merging it: the role must carry the whole CONTEXT.
        for role in body['roles']:
            role['template_contents']['CONTEXT'].update(TOKEN='YES', NETWORK='YES', REPORT_READY='YES')
    created = run_module(oneflow_template, dict(backend_args, name=name, template=body))
    assert not created.get('failed'), created
    return created['id']


def _roles(result):
    return dict((r['name'], r) for r in result['service']['roles'])


def test_sequence_scale_cooldown_delete(backend, run_module):
    # A real frontend has no guest that reports READY=YES and may lack the simulator's fl-net network.
    simulated = backend.kind == 'sim'
    template_id = _setup(backend.args, backend.xmlrpc(), run_module, backend.name('fl-cluster'), ready_gate=simulated,
                         vm_name=backend.name('fl-node'), with_nic=simulated)
    name = backend.name('fl-run-1')
    args = dict(backend.args, name=name, template_id=template_id, user_inputs_values={'FL_NUM_ROUNDS': 5},
                roles=[{'name': 'supernode', 'cardinality': 2}], **backend.poll)

    check = run_module(oneflow_service, args, check_mode=True, diff=True)
    assert check['changed'] and check['service'] is None and check['service_id'] is None
    assert check['diff']['after']['roles'] == {'superlink': 1, 'supernode': 2}

    created = run_module(oneflow_service, args, diff=True)
    assert created['changed'] and created['service']['state'] == 'RUNNING', created
    roles = _roles(created)
    assert len(roles['superlink']['vms']) == 1 and len(roles['supernode']['vms']) == 2
    superlink_vm = roles['superlink']['vms'][0]
    assert superlink_vm['state'] == 'ACTIVE/RUNNING'
    assert superlink_vm['user_template']['ROLE_NAME'] == 'superlink'
    if simulated:
        assert superlink_vm['user_template']['READY'] == 'YES'
        assert superlink_vm['ips'] and superlink_vm['ips'][0].startswith('10.10.0.')

    again = run_module(oneflow_service, args)
    assert not again['changed'] and again['service_id'] == created['service_id']

    scale = dict(args, roles=[{'name': 'supernode', 'cardinality': 3}])
    check_scale = run_module(oneflow_service, scale, check_mode=True, diff=True)
    assert check_scale['changed'] and check_scale['diff']['before']['roles']['supernode'] == 2
    assert check_scale['diff']['after']['roles']['supernode'] == 3
    assert len(_roles(check_scale)['supernode']['vms']) == 2
    scaled = run_module(oneflow_service, scale)
    assert scaled['changed'] and scaled['service']['state'] in ('COOLDOWN', 'RUNNING'), scaled
    assert len(_roles(scaled)['supernode']['vms']) == 3
    assert not run_module(oneflow_service, scale)['changed']

    if backend.kind == 'sim':
        assert scaled['service']['state'] == 'COOLDOWN'  # the simulator's cooldown is 300 simulated seconds
    if scaled['service']['state'] == 'COOLDOWN':
        more = dict(args, roles=[{'name': 'supernode', 'cardinality': 4}])
        refused_check = run_module(oneflow_service, more, check_mode=True)
        assert refused_check['failed'] and 'COOLDOWN' in refused_check['msg']
        refused = run_module(oneflow_service, more)
        assert refused['failed'] and refused['status'] == 500
        assert 'Service cannot be scaled in state: COOLDOWN' in refused['msg']

    info = run_module(oneflow_service_info, dict(backend.args, name=name))
    assert [s['id'] for s in info['services']] == [created['service_id']]
    assert len(_roles({'service': info['services'][0]})['supernode']['vms']) == 3

    absent = dict(backend.args, name=name, state='absent', **backend.poll)
    assert run_module(oneflow_service, absent, check_mode=True)['changed']
    assert run_module(oneflow_service, absent)['changed']
    assert not run_module(oneflow_service, absent)['changed']
    assert run_module(oneflow_service_info, dict(backend.args, name=name))['services'] == []
    assert run_module(oneflow_template, dict(backend.args, name=backend.name('fl-cluster'), state='absent'))['changed']
    backend.xmlrpc().template_delete(vm_template(backend.xmlrpc(), backend.name('fl-node')))


def test_failed_deploying_fails_fast_with_the_log(sim, run_module):
    args = sim_args(sim)
    template_id = _setup(args, _client(sim), run_module)
    sim.inject('vm_boot_failure')
    service = dict(args, name='fl-broken', template_id=template_id, user_inputs_values={'FL_NUM_ROUNDS': 1},
                   **FAST_POLL)
    result = run_module(oneflow_service, service)
    assert result['failed'] and result['changed']
    assert 'FAILED_DEPLOYING' in result['msg'] and '[E]' in result['msg']
    assert result['service']['state'] == 'FAILED_DEPLOYING' and result['service_id'] is not None
    # Re-running reports the failed service instead of instantiating a second one.
    again = run_module(oneflow_service, service)
    assert again['failed'] and not again['changed'] and again['service_id'] == result['service_id']
    # DELETE is refused for failed services; absent recovers with delete.
    gone = run_module(oneflow_service, dict(args, name='fl-broken', state='absent', **FAST_POLL))
    assert gone['changed'] and not gone.get('failed'), gone
    assert sim.service(result['service_id']) is None


def test_unknown_template_is_404(sim, run_module):
    result = run_module(oneflow_service, dict(sim_args(sim), name='x', template_id=9999, schema='7', **FAST_POLL))
    assert result['failed'] and result['status'] == 404


def test_template_id_zero_is_valid(sim, run_module):
    args = sim_args(sim)
    template_id = _setup(args, _client(sim), run_module, ready_gate=False)
    assert template_id == 0
    result = run_module(oneflow_service, dict(args, name='zero', template_id=0,
                                              user_inputs_values={'FL_NUM_ROUNDS': 1}, **FAST_POLL))
    assert result['changed'] and result['service']['state'] == 'RUNNING', result


def test_bad_password_is_401(sim, run_module):
    result = run_module(oneflow_service, dict(sim_args(sim), api_password='nope', name='x', template_id=0,
                                              schema='7', **FAST_POLL))
    assert result['failed'] and result['status'] == 401


def test_timeout_while_deploying(sim, run_module):
    args = sim_args(sim)
    template_id = _setup(args, _client(sim), run_module)
    sim.auto_advance(0)
    result = run_module(oneflow_service, dict(args, name='slow', template_id=template_id,
                                              user_inputs_values={'FL_NUM_ROUNDS': 1}, poll_interval=0.02,
                                              max_poll_interval=0.05, wait_timeout=1))
    assert result['failed'] and result['changed'] and 'timed out' in result['msg']


def test_no_wait_returns_at_once_and_a_later_run_waits(sim, run_module):
    args = sim_args(sim)
    template_id = _setup(args, _client(sim), run_module)
    service = dict(args, name='later', template_id=template_id, user_inputs_values={'FL_NUM_ROUNDS': 1}, **FAST_POLL)
    started = run_module(oneflow_service, dict(service, wait=False))
    assert started['changed'] and started['service']['state'] == 'PENDING'
    finished = run_module(oneflow_service, service)
    assert not finished['changed'] and finished['service']['state'] == 'RUNNING'


def test_6x_roles_are_merged_by_index(sim6, run_module):
    args = sim_args(sim6)
    template_id = _setup(args, _client(sim6), run_module, full_context=True)
    result = run_module(oneflow_service, dict(args, name='six', template_id=template_id,
                                              user_inputs_values={'FL_NUM_ROUNDS': 2},
                                              roles=[{'name': 'supernode', 'cardinality': 3}], **FAST_POLL))
    assert result['changed'] and result['service']['state'] == 'RUNNING', result
    roles = _roles(result)
    assert len(roles['superlink']['vms']) == 1 and len(roles['supernode']['vms']) == 3


def test_unknown_role_is_rejected(sim, run_module):
    args = sim_args(sim)
    template_id = _setup(args, _client(sim), run_module)
    result = run_module(oneflow_service, dict(args, name='x', template_id=template_id,
                                              roles=[{'name': 'nope', 'cardinality': 1}], **FAST_POLL))
    assert result['failed'] and 'nope' in result['msg']


def _client(simulator):
    return OneXMLRPCClient(simulator.xmlrpc_url, simulator.username, simulator.password)
