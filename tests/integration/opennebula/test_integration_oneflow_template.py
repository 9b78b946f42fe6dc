# -*- coding: utf-8 -*-
# Copyright: opennebula.flower contributors
# Apache License 2.0 (see LICENSE or https://www.apache.org/licenses/LICENSE-2.0)
"""oneflow_template: check -> apply -> re-apply, update, delete; 6.x conversion; 401."""

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

import base64
import copy
import json
from urllib.request import Request, urlopen

from ansible_collections.opennebula.flower.plugins.modules import oneflow_template
from tests.integration.opennebula.conftest import sim_args
from tests.integration.opennebula.helpers import flower_template, vm_template


def _stored(sim, template_id):
    auth = base64.b64encode(('%s:%s' % (sim.username, sim.password)).encode()).decode()
    req = Request('%s/service_template/%d' % (sim.oneflow_url, template_id), headers={'Authorization': 'Basic ' + auth})
    return json.loads(urlopen(req, timeout=5).read())['DOCUMENT']['TEMPLATE']['BODY']


def test_sequence(backend, run_module):
    vm_template_id = vm_template(backend.xmlrpc(), backend.name('fl-node'), with_nic=backend.kind == 'sim')
    body = flower_template(vm_template_id)
    args = dict(backend.args, name=backend.name('fl-cluster'), template=body)
    check = run_module(oneflow_template, args, check_mode=True, diff=True)
    assert check['changed'] and check['id'] is None and check['schema'] == '7'
    assert check['diff']['before'] == {} and check['diff']['after']['roles'][1]['parents'] == ['superlink']
    created = run_module(oneflow_template, args)
    assert created['changed'] and isinstance(created['id'], int)
    assert 'registration_time' in created['template']
    again = run_module(oneflow_template, args)
    assert not again['changed'] and again['id'] == created['id']

    changed = copy.deepcopy(body)
    changed['roles'][1]['max_vms'] = 8
    check_update = run_module(oneflow_template, dict(args, template=changed), check_mode=True, diff=True)
    assert check_update['changed']
    assert check_update['diff']['before']['roles'][1]['max_vms'] == 4
    assert check_update['diff']['after']['roles'][1]['max_vms'] == 8
    updated = run_module(oneflow_template, dict(args, template=changed))
    assert updated['changed'] and updated['id'] == created['id'] and updated['template']['roles'][1]['max_vms'] == 8
    assert updated['template']['registration_time'] == created['template']['registration_time']
    assert not run_module(oneflow_template, dict(args, template=changed))['changed']

    absent = dict(backend.args, name=args['name'], state='absent')
    assert run_module(oneflow_template, absent, check_mode=True)['changed']
    assert run_module(oneflow_template, absent)['changed']
    assert not run_module(oneflow_template, absent)['changed']
    backend.xmlrpc().template_delete(vm_template_id)


def test_6x_server_gets_the_6x_schema(sim6, run_module):
    body = flower_template(vm_template(_client(sim6)))
    args = dict(sim_args(sim6), name='fl-cluster', template=body)
    created = run_module(oneflow_template, args)
    assert created['changed'] and created['schema'] == '6'
    stored = _stored(sim6, created['id'])
    role = stored['roles'][1]
    assert 'vm_template' in role and 'template_id' not in role and 'custom_attrs' in stored
    assert 'FL_ROLE="supernode"' in role['vm_template_contents']
    assert not run_module(oneflow_template, args)['changed']
    # Explicit schema wins over the version probe.
    assert run_module(oneflow_template, dict(args, schema='6'))['changed'] is False


def test_bad_credentials_give_401(sim, run_module):
    result = run_module(oneflow_template, dict(sim_args(sim), api_password='wrong', schema='7', name='x',
                                               template={'roles': []}))
    assert result['failed'] and result['status'] == 401 and 'Invalid credentials' in result['msg']


def test_schema_error_is_reported(sim, run_module):
    body = {'roles': [{'name': 'a', 'type': 'vm', 'template_id': 0, 'cardinality': 1, 'min_vms': 2}]}
    result = run_module(oneflow_template, dict(sim_args(sim), name='bad', template=body))
    assert result['failed'] and result['status'] == 400 and 'min_vms' in result['msg']


def _client(simulator):
    from ansible_collections.opennebula.flower.plugins.module_utils._one_xmlrpc import OneXMLRPCClient
    return OneXMLRPCClient(simulator.xmlrpc_url, simulator.username, simulator.password)


def test_transient_503_is_retried(sim, run_module):
    body = {'roles': [{'name': 'a', 'type': 'vm', 'template_id': 0, 'cardinality': 1}]}
    args = dict(sim_args(sim), name='retried', schema='7', template=body)
    sim.inject('http_error', api='oneflow', status=503)
    assert run_module(oneflow_template, args)['changed']
    sim.inject('http_error', api='oneflow', status=503)
    refused = run_module(oneflow_template, dict(args, name='not-retried', api_retries=0))
    assert refused['failed'] and refused['status'] == 503
