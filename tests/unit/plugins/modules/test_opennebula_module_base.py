# -*- coding: utf-8 -*-
# Copyright: opennebula.flower contributors
# Apache License 2.0 (see LICENSE or https://www.apache.org/licenses/LICENSE-2.0)
"""OpenNebulaModule (the base of the OpenNebula modules) and what runs without pyone."""

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

import json
import os
import subprocess
import sys
import types

import pytest

from ansible_collections.opennebula.flower.plugins.module_utils import _one_xmlrpc
from ansible_collections.opennebula.flower.plugins.module_utils._http import NotFoundError
from ansible_collections.opennebula.flower.plugins.module_utils._one_connection import OneConnection
from ansible_collections.opennebula.flower.plugins.module_utils._one_errors import OneAuthenticationError
from ansible_collections.opennebula.flower.plugins.module_utils._one_module import Connection, OpenNebulaModule

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), '..', '..', '..', '..'))


class Boom(Exception):
    def __init__(self, message, detail):
        super(Boom, self).__init__(message)
        self.detail = detail


def fake_connection(missing=None, connect_error=None):
    def connect(params, warn):
        if connect_error:
            raise ValueError(connect_error)
        return 'client'
    return Connection(lambda: dict(token=dict(type='str', no_log=True)), connect, lambda: missing)


def as_module(cls):
    return types.SimpleNamespace(main=lambda: cls().execute())


def module_class(outcome, connection=None):
    class Fake(OpenNebulaModule):
        fails_with = (Boom,)

        def options(self):
            return dict(name=dict(type='str', required=True))

        def action(self):
            return 'Thing %s' % self.params['name']

        def failure(self, exc):
            return dict(detail=exc.detail)

        def run(self, client):
            assert client == 'client'
            if isinstance(outcome, Exception):
                raise outcome
            return dict(outcome)
    Fake.connection = connection or fake_connection()
    return as_module(Fake)


def test_result_and_diff_only_in_diff_mode(run_module):
    module = module_class(dict(changed=True, thing=1, diff=dict(before={}, after={'a': 1})))
    result = run_module(module, dict(name='x'))
    assert result['changed'] and result['thing'] == 1 and 'diff' not in result
    assert run_module(module, dict(name='x'), diff=True)['diff'] == dict(before={}, after={'a': 1})


def test_api_errors_fail_with_status_url_code_and_hint(run_module):
    error = OneAuthenticationError('[one.vm.info] User could not be authenticated', code=0x100, url='http://h/RPC2')
    result = run_module(module_class(error), dict(name='x'))
    assert result['failed'] and result['msg'] == ('Thing x failed: [one.vm.info] User could not be authenticated '
                                                  '(check api_username/api_password)')
    assert result['error_code'] == 0x100 and result['url'] == 'http://h/RPC2'
    result = run_module(module_class(NotFoundError('gone', status=404)), dict(name='x'))
    assert result['msg'] == 'Thing x failed: gone' and result['status'] == 404 and 'error_code' not in result


def test_listed_exceptions_fail_with_their_text_and_details(run_module):
    result = run_module(module_class(Boom('it broke', 'more')), dict(name='x'))
    assert result['failed'] and result['msg'] == 'it broke' and result['detail'] == 'more'


def test_bad_settings_and_a_missing_library_fail_before_run(run_module):
    result = run_module(module_class({}, fake_connection(connect_error='set api_url')), dict(name='x'))
    assert result['failed'] and result['msg'] == 'set api_url'
    result = run_module(module_class({}, fake_connection(missing=('pyone', 'Traceback: no pyone'))), dict(name='x'))
    assert result['failed'] and 'Failed to import the required Python library (pyone)' in result['msg']


def test_the_oned_client_names_pyone_when_it_is_missing(monkeypatch):
    monkeypatch.setattr(_one_xmlrpc, 'HAS_PYONE', False)
    conn = OneConnection(dict(api_url='http://127.0.0.1:1/RPC2', api_username='a', api_password='b'))
    conn.oneflow()   # OneFlow needs no pyone
    with pytest.raises(_one_xmlrpc.PyoneMissingError):
        conn.xmlrpc()


def _without_pyone(code, stdin=''):
    """Run ``code`` in a Python where ``import pyone`` fails."""
    prelude = 'import sys; sys.modules["pyone"] = None\n'
    env = dict(os.environ, PYTHONPATH=ROOT)
    return subprocess.run([sys.executable, '-c', prelude + code], input=stdin, capture_output=True, text=True,
                          env=env, cwd=ROOT, timeout=120, check=False)


def test_oned_modules_fail_with_missing_required_lib_without_pyone():
    args = dict(ANSIBLE_MODULE_ARGS=dict(name='t', template='CPU=1', api_url='http://127.0.0.1:1/RPC2',
                                         api_username='oneadmin', api_password='not-in-any-message'))
    proc = _without_pyone('from ansible_collections.opennebula.flower.plugins.modules import one_vm_template\n'
                          'one_vm_template.main()\n', json.dumps(args))
    result = json.loads(proc.stdout)
    assert result['failed'] and 'Failed to import the required Python library (pyone)' in result['msg']


def test_in_vm_code_imports_neither_oned_nor_oneflow_and_needs_no_pyone():
    proc = _without_pyone(
        'import sys\n'
        'from ansible_collections.opennebula.flower.plugins.modules import (\n'
        '    flower_service_registrations, flower_superlink_discovery, onegate_service_info, onegate_vm)\n'
        'from ansible_collections.opennebula.flower.plugins.module_utils import _appliance_enrollment_watch\n'
        'print(" ".join(sorted(m.rsplit(".", 1)[-1] for m in sys.modules if ".module_utils._" in m)))\n')
    assert proc.returncode == 0, proc.stderr
    loaded = proc.stdout.split()
    assert '_onegate_connection' in loaded
    assert not set(loaded) & {'_one_connection', '_one_xmlrpc', '_oneflow'}
