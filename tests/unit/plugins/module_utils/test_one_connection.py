# -*- coding: utf-8 -*-
# Copyright: opennebula.flower contributors
# Apache License 2.0 (see LICENSE or https://www.apache.org/licenses/LICENSE-2.0)
"""_one_connection: credentials from options, environment and the ONE_AUTH file; endpoint derivation."""

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

import pytest

from ansible.module_utils.common.arg_spec import ArgumentSpecValidator

from ansible_collections.opennebula.flower.plugins.module_utils._one_connection import (
    ConfigError, OneConnection, derive_url, endpoints, one_argument_spec, resolve_auth,
)


def test_resolve_auth_prefers_options_then_one_auth_file(tmp_path):
    auth = tmp_path / 'one_auth'
    auth.write_text('oneadmin:from-file\n')
    env = {'ONE_AUTH': str(auth)}
    assert resolve_auth('u', 'p', env) == ('u', 'p')
    assert resolve_auth(None, None, env) == ('oneadmin', 'from-file')
    assert resolve_auth('oneadmin', None, env) == ('oneadmin', 'from-file')
    with pytest.raises(ConfigError):
        resolve_auth('someone-else', None, env)  # never pair a user with another user's password
    with pytest.raises(ConfigError):
        resolve_auth(None, None, {'HOME': str(tmp_path)})
    auth.write_text('garbage\n')
    with pytest.raises(ConfigError):
        resolve_auth(None, None, env)


def test_endpoints_are_derived_from_each_other():
    expected = ('https://one.example:2633/RPC2', 'https://one.example:2474')
    assert endpoints('https://one.example:2633/RPC2', None) == expected
    assert endpoints(None, 'http://127.0.0.1:9999') == ('http://127.0.0.1:2633/RPC2', 'http://127.0.0.1:9999')
    assert derive_url('http://[::1]:2633/RPC2', 2474) == 'http://[::1]:2474'
    with pytest.raises(ConfigError):
        endpoints(None, None)


def test_argument_spec_env_fallbacks(monkeypatch):
    monkeypatch.setenv('ONE_URL', 'http://127.0.0.1:1/RPC2')
    monkeypatch.setenv('ONE_USERNAME', 'alice')
    monkeypatch.setenv('ONE_PASSWORD', 'secret')
    monkeypatch.setenv('ONEFLOW_URL', 'http://127.0.0.1:2/')
    result = ArgumentSpecValidator(one_argument_spec()).validate({})
    assert result.error_messages == []
    params = result.validated_parameters
    assert (params['api_url'], params['api_username'], params['api_password'], params['oneflow_url']) == \
        ('http://127.0.0.1:1/RPC2', 'alice', 'secret', 'http://127.0.0.1:2/')
    assert params['validate_certs'] is True
    assert 'secret' in result._no_log_values
    conn = OneConnection(params)
    assert conn.schema('6') == '6'
    assert conn.oneflow().http.base_url == 'http://127.0.0.1:2'


def test_argument_spec_reads_tls_settings_from_the_environment(monkeypatch):
    # What the AWX credential type injects (extensions/awx/credential_types/opennebula.yml); an option still wins.
    monkeypatch.setenv('ONE_VALIDATE_CERTS', 'False')
    monkeypatch.setenv('ONE_CA_PATH', '/etc/one/ca.pem')
    params = ArgumentSpecValidator(one_argument_spec()).validate({}).validated_parameters
    assert (params['validate_certs'], params['ca_path']) == (False, '/etc/one/ca.pem')
    params = ArgumentSpecValidator(one_argument_spec()).validate({'validate_certs': True}).validated_parameters
    assert params['validate_certs'] is True
