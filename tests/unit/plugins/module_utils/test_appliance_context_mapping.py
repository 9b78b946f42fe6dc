# -*- coding: utf-8 -*-
# Copyright: opennebula.flower contributors
# Apache License 2.0 (see LICENSE or https://www.apache.org/licenses/LICENSE-2.0)
"""What each CONTEXT variable becomes is declared in the schema: role_vars and discovery follow from it."""
from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

from pathlib import Path

import pytest
import yaml

from ansible_collections.opennebula.flower.plugins.module_utils import _appliance_schema as schema
from ansible_collections.opennebula.flower.plugins.module_utils._appliance_context import appliance_config

ROOT = Path(__file__).resolve().parents[4]
CONTEXT = {'ETH0_IP': '198.18.8.10', 'ETH1_IP': '10.1.0.5', 'VMID': '7'}


def _config(role, **variables):
    context = dict(CONTEXT, **variables)
    result, errors = appliance_config(role, context, ['1.42.0'], ['sklearn'])
    assert errors == []
    return result


@pytest.fixture
def extra_variable(monkeypatch):
    """A schema with one more variable, as adding a CONTEXT variable is one schema entry."""
    def add(variable):
        monkeypatch.setattr(schema, 'SCHEMA', schema.SCHEMA + (variable,))
    return add


def test_a_new_variable_with_a_role_variable_reaches_role_vars_in_each_of_its_roles(extra_variable):
    extra_variable(schema.Variable('FL_PROBE', schema.BOTH, 'number', 5, 'probe', minimum=0, role_var='probe'))
    assert _config('superlink')['role_vars']['superlink_probe'] == 5
    assert _config('supernode', ONEAPP_FL_PROBE='7')['role_vars']['supernode_probe'] == 7


def test_a_new_variable_with_a_conversion_and_per_role_names(extra_variable):
    extra_variable(schema.Variable('FL_PROBE', schema.BOTH, 'text', '', 'probe',
                                   role_var={schema.SUPERLINK: 'probe_list', schema.SUPERNODE: 'probe_text'},
                                   convert=lambda value, image: [value, image['release']]))
    assert _config('superlink', ONEAPP_FL_PROBE='x')['role_vars']['superlink_probe_list'] == ['x', '1.42.0']
    assert _config('supernode', ONEAPP_FL_PROBE='y')['role_vars']['supernode_probe_text'] == ['y', '1.42.0']


def test_a_new_discovery_variable_reaches_the_discovery_settings(extra_variable):
    extra_variable(schema.Variable('FL_PROBE', (schema.SUPERNODE,), 'number', 3, 'probe', minimum=0,
                                   discovery='probe'))
    result = _config('supernode')
    assert result['discovery']['probe'] == 3 and 'supernode_probe' not in result['role_vars']


def test_every_role_variable_is_declared_in_its_roles_argument_specs():
    for role in (schema.SUPERLINK, schema.SUPERNODE):
        specs = yaml.safe_load((ROOT / 'roles' / role / 'meta' / 'argument_specs.yml').read_text())
        options = specs['argument_specs']['configure']['options']
        names = [v.role_variable(role) for v in schema.variables_for(role) if v.role_variable(role)]
        assert names and set(names) <= set(options), role


def test_the_values_that_come_from_the_vm_not_from_a_variable():
    role_vars = _config('superlink', ONEAPP_FL_CERT_EXTRA_SAN='DNS:fl.example.org')['role_vars']
    assert role_vars['superlink_advertised_host'] == '198.18.8.10'
    assert role_vars['superlink_tls_subject_alt_names'] == ['10.1.0.5', 'fl.example.org']


def test_an_empty_flower_version_becomes_the_installed_release():
    assert _config('supernode')['role_vars']['supernode_flower_version'] == '1.42.0'
    assert _config('superlink')['flower_version'] == '1.42.0'


def test_the_superlink_publishes_the_declared_onegate_attributes():
    tasks = yaml.safe_load((ROOT / 'roles' / 'appliance' / 'tasks' / 'configure_superlink.yml').read_text())
    published = [t for t in tasks if t['name'] == 'Publish the SuperLink in OneGate'][0]
    attributes = published['opennebula.flower.onegate_vm']['attributes']
    declared = [a for v in schema.SCHEMA for a in v.onegate]
    assert sorted(declared) == ['FL_AUTH', 'FL_TLS', 'FL_VERSION']
    assert set(declared) <= set(attributes)


def _plain_values(*paths):
    values = {}
    for path in paths:
        for name, value in (yaml.safe_load((ROOT / path).read_text()) or {}).items():
            if isinstance(value, str) and '{{' not in value and (value.startswith('/') or value.startswith('flower-')):
                values[value] = name
    return values


def test_the_appliance_role_does_not_restate_the_flower_roles_paths_or_services():
    owned = _plain_values(*['roles/%s/%s/main.yml' % (role, kind) for role in (schema.SUPERLINK, schema.SUPERNODE)
                            for kind in ('defaults', 'vars')])
    restated = _plain_values('roles/appliance/defaults/main.yml', 'roles/appliance/vars/main.yml')
    assert dict((name, owned[value]) for value, name in restated.items() if value in owned) == {}
