# -*- coding: utf-8 -*-
# Copyright: opennebula.flower contributors
# Apache License 2.0 (see LICENSE or https://www.apache.org/licenses/LICENSE-2.0)
"""one_vm_template against the simulator (and a real frontend when configured)."""

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

from ansible_collections.opennebula.flower.plugins.modules import one_vm_template

TEMPLATE = {'CPU': 0.5, 'VCPU': 1, 'MEMORY': 256,
            'CONTEXT': {'TOKEN': 'YES', 'NETWORK': 'YES', 'REPORT_READY': 'YES', 'FL_TEST': '$FL_TEST'}}


def test_check_apply_reapply_update_delete(backend, run_module):
    name = backend.name('fl-node')
    args = dict(backend.args, name=name, template=TEMPLATE)
    check = run_module(one_vm_template, args, check_mode=True, diff=True)
    assert check['changed'] and check['id'] is None and check['diff']['before'] == {}
    assert check['diff']['after']['CONTEXT']['TOKEN'] == 'YES'
    created = run_module(one_vm_template, args)
    assert created['changed'] and isinstance(created['id'], int)
    again = run_module(one_vm_template, args, diff=True)
    assert not again['changed'] and again['id'] == created['id']
    assert again['diff']['before'] == again['diff']['after']

    stored = backend.xmlrpc().template_info(created['id'])['TEMPLATE']
    assert stored['MEMORY'] == '256' and stored['CONTEXT']['FL_TEST'] == '$FL_TEST'

    # The same content written as template text is not a change.
    text = 'CPU = "0.5"\nVCPU = 1\nMEMORY = 256\nCONTEXT = [ TOKEN = "YES", NETWORK = "YES", REPORT_READY = "YES", ' \
           'FL_TEST = "$FL_TEST" ]'
    assert not run_module(one_vm_template, dict(args, template=text))['changed']

    changed = dict(TEMPLATE, MEMORY=512)
    check_update = run_module(one_vm_template, dict(args, template=changed), check_mode=True, diff=True)
    assert check_update['changed']
    assert (check_update['diff']['before']['MEMORY'], check_update['diff']['after']['MEMORY']) == ('256', '512')
    assert backend.xmlrpc().template_info(created['id'])['TEMPLATE']['MEMORY'] == '256'
    updated = run_module(one_vm_template, dict(args, template=changed))
    assert updated['changed'] and updated['id'] == created['id']
    assert backend.xmlrpc().template_info(created['id'])['TEMPLATE']['MEMORY'] == '512'

    absent = dict(backend.args, name=name, state='absent')
    assert run_module(one_vm_template, absent, check_mode=True)['changed']
    assert run_module(one_vm_template, absent)['changed']
    assert not run_module(one_vm_template, absent)['changed']


def test_bad_password_is_reported(sim, run_module, clean_env):
    from tests.integration.opennebula.conftest import sim_args
    result = run_module(one_vm_template, dict(sim_args(sim), api_password='wrong', name='x', template=TEMPLATE))
    assert result['failed'] and result['error_code'] == 0x100
    assert "couldn't be authenticated" in result['msg']


def test_unreachable_endpoint_fails_cleanly(run_module, clean_env):
    result = run_module(one_vm_template, dict(api_url='http://127.0.0.1:9/RPC2', api_username='a', api_password='b',
                                              name='x', template=TEMPLATE, api_timeout=2, api_retries=0))
    assert result['failed'] and 'Cannot reach' in result['msg']
