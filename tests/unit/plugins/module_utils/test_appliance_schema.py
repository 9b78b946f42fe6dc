# -*- coding: utf-8 -*-
# Copyright: opennebula.flower contributors
# Apache License 2.0 (see LICENSE or https://www.apache.org/licenses/LICENSE-2.0)
from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

import base64

import pytest

from ansible_collections.opennebula.flower.plugins.module_utils import _appliance_schema as schema

CERT = '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n'
KEY = '-----BEGIN PRIVATE KEY-----\nMIIE\n-----END PRIVATE KEY-----\n'


def b64(text):
    return base64.b64encode(text.encode()).decode()


@pytest.mark.parametrize('role', [schema.SUPERLINK, schema.SUPERNODE])
def test_an_empty_context_takes_every_default(role):
    values, errors = schema.validate(role, {}, ['1.42.0'])
    assert errors == []
    # a choice that means "none" (FL_USE_CASE=none) is parsed as ''
    assert values == dict((v.name, '' if v.unset and v.default == v.unset else v.default)
                          for v in schema.variables_for(role))


def test_empty_strings_from_oneflow_mean_the_default():
    context = dict((v.context_name, '') for v in schema.SCHEMA)
    values, errors = schema.validate(schema.SUPERNODE, context, ['1.42.0'])
    assert errors == [] and values['FL_EDGE_MAX_BACKOFF'] == 60 and values['FL_TLS_ENABLED'] is True


def test_every_error_is_reported_at_once_naming_variable_value_and_what_is_allowed():
    context = {'ONEAPP_FL_TLS_ENABLED': 'maybe', 'ONEAPP_FL_EDGE_BACKOFF': 'random',
               'ONEAPP_FL_EDGE_MAX_BACKOFF': '0', 'ONEAPP_FL_SUPERLINK_ADDRESS': 'no-port'}
    _values, errors = schema.validate(schema.SUPERNODE, context, ['1.42.0'])
    assert len(errors) == 4
    text = '\n'.join(errors)
    assert "ONEAPP_FL_TLS_ENABLED='maybe' is invalid: allowed: YES or NO" in text
    assert "ONEAPP_FL_EDGE_BACKOFF='random' is invalid: allowed: one of exponential, fixed" in text
    assert "ONEAPP_FL_EDGE_MAX_BACKOFF='0' is invalid: allowed: an integer from 1 to 3600" in text
    assert "ONEAPP_FL_SUPERLINK_ADDRESS='no-port'" in text and 'host:port' in text


@pytest.mark.parametrize('value', ['1.42.0', '1.31.0'])
def test_flower_version_must_be_installed(value):
    _values, errors = schema.validate(schema.SUPERLINK, {'ONEAPP_FLOWER_VERSION': value}, ['1.42.0'])
    if value == '1.42.0':
        assert errors == []
    else:
        assert errors == ["ONEAPP_FLOWER_VERSION='1.31.0' is not installed in this image (no downloads at boot); "
                          "allowed: 1.42.0"]


def test_malformed_version_is_refused():
    _values, errors = schema.validate(schema.SUPERNODE, {'ONEAPP_FLOWER_VERSION': 'latest'}, ['1.42.0'])
    assert errors and 'release number' in errors[0]


def test_auth_needs_tls():
    _values, errors = schema.validate(schema.SUPERLINK, {'ONEAPP_FL_TLS_ENABLED': 'NO'}, ['1.42.0'])
    assert len(errors) == 1 and 'ONEAPP_FL_AUTH_ENABLED=YES needs ONEAPP_FL_TLS_ENABLED=YES' in errors[0]
    _values, errors = schema.validate(schema.SUPERLINK, {'ONEAPP_FL_TLS_ENABLED': 'NO',
                                                         'ONEAPP_FL_AUTH_ENABLED': 'NO'}, ['1.42.0'])
    assert errors == []


def test_operator_tls_files_are_all_or_none_and_the_key_is_never_shown():
    _values, errors = schema.validate(schema.SUPERLINK, {'ONEAPP_FL_SSL_CA_CERTFILE': b64(CERT)}, ['1.42.0'])
    assert errors == ['operator TLS files are all or none: ONEAPP_FL_SSL_CA_CERTFILE set but '
                      'ONEAPP_FL_SSL_CERTFILE, ONEAPP_FL_SSL_KEYFILE empty']
    values, errors = schema.validate(schema.SUPERLINK, {
        'ONEAPP_FL_SSL_CA_CERTFILE': b64(CERT), 'ONEAPP_FL_SSL_CERTFILE': b64(CERT),
        'ONEAPP_FL_SSL_KEYFILE': b64(KEY)}, ['1.42.0'])
    assert errors == [] and values['FL_SSL_KEYFILE'] == KEY
    secret = b64(CERT)  # a certificate where the key belongs
    _values, errors = schema.validate(schema.SUPERLINK, {'ONEAPP_FL_SSL_KEYFILE': secret}, ['1.42.0'])
    assert errors == ["ONEAPP_FL_SSL_KEYFILE='<secret>' is invalid: it is not a base64-encoded PEM private key; "
                      "allowed: a base64-encoded PEM private key"]
    assert secret not in errors[0]


def test_text64_must_be_base64():
    _values, errors = schema.validate(schema.SUPERNODE, {'ONEAPP_FL_SSL_CA_CERTFILE': 'not base64!'}, ['1.42.0'])
    assert errors == ["ONEAPP_FL_SSL_CA_CERTFILE='<11 bytes of base64>' is invalid: it is not valid base64; "
                      "allowed: a base64-encoded PEM certificate"]


def test_a_static_superlink_with_tls_needs_its_ca():
    _values, errors = schema.validate(schema.SUPERNODE, {'ONEAPP_FL_SUPERLINK_ADDRESS': 'fl.example.org:9092'},
                                      ['1.42.0'])
    assert len(errors) == 1 and 'ONEAPP_FL_SSL_CA_CERTFILE must hold' in errors[0]
    values, errors = schema.validate(schema.SUPERNODE, {'ONEAPP_FL_SUPERLINK_ADDRESS': 'fl.example.org:9092',
                                                        'ONEAPP_FL_SSL_CA_CERTFILE': b64(CERT)}, ['1.42.0'])
    assert errors == [] and values['FL_SSL_CA_CERTFILE'] == CERT


@pytest.mark.parametrize('text, expected', [
    ('partition-id=0 num-partitions=2', {'partition-id': 0, 'num-partitions': 2}),
    ('lr=0.05 site="hospital a" gpu=true', {'lr': 0.05, 'site': 'hospital a', 'gpu': True}),
    ('', {}),
])
def test_node_config_parses(text, expected):
    assert schema.parse_node_config(text) == expected


@pytest.mark.parametrize('text', ['a=$(reboot)', 'a=1;reboot', 'a=`id`', 'a="x" b', 'A=1', 'a="x\'y"',
                                  'a=1 b=2\nc=3', 'a="$HOME"', 'a=1|b'])
def test_node_config_refuses_anything_a_shell_or_unit_file_could_interpret(text):
    _values, errors = schema.validate(schema.SUPERNODE, {'ONEAPP_FL_NODE_CONFIG': text}, ['1.42.0'])
    assert len(errors) == 1 and errors[0].startswith('ONEAPP_FL_NODE_CONFIG=')


def test_extra_sans():
    assert schema.parse_subject_alt_names('IP:198.18.0.5, DNS:fl.example.org') == ['198.18.0.5', 'fl.example.org']
    _values, errors = schema.validate(schema.SUPERLINK, {'ONEAPP_FL_CERT_EXTRA_SAN': 'IP:300.1.1.1'}, ['1.42.0'])
    assert "'300.1.1.1' is not an IP address" in errors[0]
    _values, errors = schema.validate(schema.SUPERLINK, {'ONEAPP_FL_CERT_EXTRA_SAN': 'URI:x'}, ['1.42.0'])
    assert 'is not IP:<address> or DNS:<name>' in errors[0]


def test_user_inputs_follow_opennebulas_format():
    inputs = schema.user_inputs(schema.SUPERNODE)
    assert inputs['ONEAPP_FL_EDGE_BACKOFF'] == ('O|list|Retry pattern of the OneGate discovery|exponential,fixed|'
                                                'exponential')
    assert inputs['ONEAPP_FL_TLS_ENABLED'].endswith('||YES')
    for value in inputs.values():
        assert len(value.split('|')) == 5
    assert 'ONEAPP_FL_AUTH_ENABLED' not in inputs and 'ONEAPP_FL_AUTH_ENABLED' in schema.user_inputs('superlink')
    assert schema.context_references('superlink')['ONEAPP_FL_TLS_ENABLED'] == '$ONEAPP_FL_TLS_ENABLED'


def test_descriptions_cannot_break_the_user_input_format():
    for var in schema.SCHEMA:
        assert '|' not in var.description and '\n' not in var.description
