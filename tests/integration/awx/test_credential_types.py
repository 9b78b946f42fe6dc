# -*- coding: utf-8 -*-
# Copyright: opennebula.flower contributors
# Apache License 2.0 (see LICENSE or https://www.apache.org/licenses/LICENSE-2.0)
"""The AWX credential types inject only what the collection reads: environment variables its modules and its
inventory plugin fall back to, and extra variables a role declares with the same type; what the collection treats
as secret is a secret input."""

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

import glob
import os

import yaml
from ansible.module_utils.common.arg_spec import ArgumentSpecValidator

from ansible_collections.opennebula.flower.plugins.module_utils._one_connection import one_argument_spec
from tests.integration.awx.awx_injectors import CREDENTIAL_TYPES, credential_type, render
from tests.integration.awx.conftest import ROOT

PEM = {'ca_cert': '-----BEGIN CERTIFICATE-----\nCA\n-----END CERTIFICATE-----\n',
       'cert': '-----BEGIN CERTIFICATE-----\nLEAF\n-----END CERTIFICATE-----\n',
       'key': '-----BEGIN PRIVATE KEY-----\nKEY\n-----END PRIVATE KEY-----\n'}
ONE = {'api_url': 'https://one.example:2633/RPC2', 'username': 'flower', 'password': 's3cret',
       'oneflow_url': 'https://one.example:2474', 'validate_certs': False}


def module_env():
    """Environment variable -> (option, no_log) of the oned/OneFlow modules (their env fallbacks)."""
    result = {}
    for option, spec in one_argument_spec().items():
        for name in (spec.get('fallback') or (None, []))[1]:
            result[name] = (option, bool(spec.get('no_log')))
    return result


def inventory_env():
    """Environment variable -> option of the oneflow inventory plugin (its documented env entries)."""
    # Imported here: once Ansible's controller side is loaded, module warnings leave the results of the module tests
    # collected in this process (tests/integration/opennebula/test_integration_inventory_oneflow.py).
    from ansible_collections.opennebula.flower.plugins.inventory import oneflow
    options = yaml.safe_load(oneflow.DOCUMENTATION)['options']
    return dict((entry['name'], option) for option, spec in options.items() for entry in spec.get('env', []))


def role_variables():
    """Variable -> its spec, over every entry point of every role."""
    result = {}
    for path in glob.glob(os.path.join(ROOT, 'roles', '*', 'meta', 'argument_specs.yml')):
        with open(path) as handle:
            for entry in yaml.safe_load(handle)['argument_specs'].values():
                result.update(entry.get('options', {}))
    return result


def secret_inputs(cred_type):
    return set(field['id'] for field in cred_type['inputs']['fields'] if field.get('secret'))


def feeding(cred_type, injector):
    """Input id -> the names of `injector` (env or extra_vars) whose template reads it."""
    result = {}
    for name, template in cred_type['injectors'].get(injector, {}).items():
        for field in cred_type['inputs']['fields']:
            if '{{ %s }}' % field['id'] in template:
                result.setdefault(field['id'], []).append(name)
    return result


def test_every_credential_type_file_is_tested():
    assert sorted(os.listdir(CREDENTIAL_TYPES)) == ['flower_pki.yml', 'opennebula.yml']


def test_opennebula_injects_only_variables_the_collection_reads(tmp_path):
    cred_type = credential_type('opennebula')
    env, extra_vars, files = render(cred_type, ONE, str(tmp_path))
    read = set(module_env()) | set(inventory_env())
    assert set(env) <= read, sorted(set(env) - read)
    assert extra_vars == {} and files == {}
    # Every input reaches the environment, and the modules then hold exactly the inputs.
    assert set(feeding(cred_type, 'env')) == set(field['id'] for field in cred_type['inputs']['fields'])
    validated = ArgumentSpecValidator(one_argument_spec())
    old = dict(os.environ)
    try:
        os.environ.update(env)
        params = validated.validate({}).validated_parameters
    finally:
        os.environ.clear()
        os.environ.update(old)
    assert (params['api_url'], params['api_username'], params['api_password'], params['oneflow_url'],
            params['validate_certs']) == (ONE['api_url'], ONE['username'], ONE['password'], ONE['oneflow_url'], False)
    # The inventory source reads the same variables for the same settings.
    options = inventory_env()
    assert dict((name, options[name]) for name in env) == \
        dict((name, module_env()[name][0]) for name in env)


def test_opennebula_secrets_are_what_the_modules_hide():
    cred_type = credential_type('opennebula')
    hidden = set(name for name, (_option, no_log) in module_env().items() if no_log)
    fed = feeding(cred_type, 'env')
    assert secret_inputs(cred_type) == set(field for field, names in fed.items() if set(names) & hidden)
    assert secret_inputs(cred_type) == {'password'}


def test_missing_validate_certs_is_injected_as_false_and_read_as_false(tmp_path):
    inputs = dict(ONE)
    del inputs['validate_certs']
    env, _extra, _files = render(credential_type('opennebula'), inputs, str(tmp_path))
    assert env['ONE_VALIDATE_CERTS'] == 'False'


def test_flower_pki_injects_the_superlink_roles_operator_tls_variables(tmp_path):
    cred_type = credential_type('flower_pki')
    env, extra_vars, _files = render(cred_type, PEM, str(tmp_path))
    assert env == {}
    specs = role_variables()
    for name, value in extra_vars.items():
        assert name in specs, '%s is not a role variable' % name
        assert specs[name]['type'] == {str: 'str'}[type(value)], name
    with open(os.path.join(ROOT, 'roles', 'superlink', 'meta', 'argument_specs.yml')) as handle:
        operator = sorted(name for name in yaml.safe_load(handle)['argument_specs']['main']['options']
                          if name.startswith('superlink_tls_operator_'))
    # The set the role takes with a server certificate (its validate.yml allows ca_cert+cert+key or ca_cert+ca_key).
    assert sorted(extra_vars) == sorted(set(operator) - {'superlink_tls_operator_ca_key'})
    assert dict((name, extra_vars['superlink_tls_operator_' + name]) for name in PEM) == PEM
    # Private keys are secret; certificates are not.
    fed = feeding(cred_type, 'extra_vars')
    assert secret_inputs(cred_type) == set(field for field, names in fed.items()
                                           if any(name.endswith('_key') for name in names))
