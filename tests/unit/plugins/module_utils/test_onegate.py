# -*- coding: utf-8 -*-
# Copyright: opennebula.flower contributors
# Apache License 2.0 (see LICENSE or https://www.apache.org/licenses/LICENSE-2.0)
"""_onegate: one_env parsing, KEY=VALUE bodies, reconciliation and the recorded /service shapes."""

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

import pytest

from ansible_collections.opennebula.flower.plugins.module_utils._onegate import (
    ENCODED_PREFIX, OneGateConfigError, attribute_ready, attributes_to_erase, attributes_to_publish, decode_value,
    encode_value, ensure_vm_attributes, parse_one_env, render_attributes, resolve_credentials, service_roles,
)

ONE_ENV = '''export TOKENTXT="c2VjcmV0LXRva2VuLXRleHQ="
export VMID="0"
export ONEGATE_ENDPOINT="http://127.0.0.1:5030"
export ETH0_IP="10.10.0.12"
export FL_SUPERLINK_IP='10.0.0.1'
'''

# Shape of recorded exchange 90 (GET /service?extended=true), trimmed.
EXTENDED = {"SERVICE": {"name": "fl-run-1", "id": "1", "state": 2, "roles": [
    {"name": "superlink", "cardinality": 1, "state": 2, "nodes": [
        {"deploy_id": 2, "running": None, "vm_info": {"VM": {
            "ID": "2", "NAME": "superlink_0_(service_1)", "STATE": "3", "LCM_STATE": "3",
            "USER_TEMPLATE": {"FL_ENDPOINT": "10.10.0.12:9092", "READY": "YES"},
            "TEMPLATE": {"NIC": {"IP": "10.10.0.12", "NETWORK": "fl-net"}}}}}]},
    {"name": "supernode", "cardinality": 2, "state": 8, "nodes": [
        {"deploy_id": 3, "running": None, "vm_info": {"VM": {
            "ID": "3", "NAME": "supernode_0_(service_1)", "STATE": "3", "LCM_STATE": "3",
            "USER_TEMPLATE": {"READY": "YES"}, "TEMPLATE": {"NIC": []}}}}]}]}}


def test_parse_one_env():
    env = parse_one_env(ONE_ENV)
    assert env['VMID'] == '0' and env['ONEGATE_ENDPOINT'] == 'http://127.0.0.1:5030'
    assert env['FL_SUPERLINK_IP'] == '10.0.0.1' and env['TOKENTXT'] == 'c2VjcmV0LXRva2VuLXRleHQ='


def test_resolve_credentials_from_file_and_explicit():
    assert resolve_credentials(reader=lambda p: ONE_ENV) == ('http://127.0.0.1:5030', 0, 'c2VjcmV0LXRva2VuLXRleHQ=')
    assert resolve_credentials('http://h:5030/', 7, 'tok\n', reader=lambda p: 1 / 0) == ('http://h:5030', 7, 'tok')

    def missing(path):
        raise IOError('no such file')
    with pytest.raises(OneGateConfigError) as info:
        resolve_credentials(reader=missing)
    assert 'one_env' in str(info.value)
    with pytest.raises(OneGateConfigError) as info:
        resolve_credentials(reader=lambda p: 'export VMID="1"\n')
    assert 'ONEGATE_ENDPOINT' in str(info.value) and 'TOKENTXT' in str(info.value)


def test_render_attributes_is_template_text_not_json():
    assert render_attributes({'FL_ENDPOINT': '10.0.0.1:9092', 'READY': 'YES', 'N': '3'}) == \
        'FL_ENDPOINT=10.0.0.1:9092\nREADY=YES\nN=3'
    with pytest.raises(ValueError):
        render_attributes({'A B': 'x'})


@pytest.mark.parametrize('value', ['10.0.0.1:9092', 'YES', 'a=b', '8 9 10', 'host:9092;x', 'café über',
                                   'ecdsa-sha2-nistp384 AAAAE2VjZHNh+/= node-7'])
def test_texts_onegate_keeps_travel_plain(value):
    assert encode_value(value) == value and decode_value(value) == value


@pytest.mark.parametrize('value', ['8,9', '[x]', 'say "hi"', 'back\\slash', 'two\nlines', ' padded', 'tab\there',
                                   '[2001:db8::1]:9092', ENCODED_PREFIX + 'looks encoded', ['3', '4'], ['x,y', ''],
                                   {'k': [1, 2]}])
def test_other_values_travel_encoded_and_decode_to_themselves(value):
    wire = encode_value(value)
    assert wire.startswith(ENCODED_PREFIX)
    assert not set(wire) & set(',[]"\\\n ')
    assert decode_value(wire) == value


def test_numbers_and_booleans_stay_plain_and_empty_values_are_erased():
    assert [encode_value(v) for v in (3, 0, 2.5, True, False)] == ['3', '0', '2.5', 'YES', 'NO']
    assert [encode_value(v) for v in ('', None, [], {})] == [None] * 4
    assert decode_value(ENCODED_PREFIX + 'not base64!') == ENCODED_PREFIX + 'not base64!'


def test_publish_and_erase_sets():
    current = {'READY': 'YES', 'N': '3', 'L': encode_value(['1'])}
    assert attributes_to_publish(current, {'READY': 'YES', 'N': 3, 'NEW': 'x', 'L': ['1'], 'E': ''}) == {'NEW': 'x'}
    assert attributes_to_erase(current, ['N', 'ABSENT']) == ['N']


def test_service_roles_and_attribute_ready():
    roles = service_roles(EXTENDED)
    assert roles[0]['nodes'][0] == {'id': 2, 'name': 'superlink_0_(service_1)', 'state': '3', 'lcm_state': '3',
                                    'ips': ['10.10.0.12'], 'user_template': {'FL_ENDPOINT': '10.10.0.12:9092',
                                                                             'READY': 'YES'}}
    assert attribute_ready(roles, 'FL_ENDPOINT', 'superlink')
    assert not attribute_ready(roles, 'FL_ENDPOINT')
    assert not attribute_ready(roles, 'READY', 'supernode')  # one of two VMs exists so far
    assert not attribute_ready(roles, 'READY', 'nope')


class FakeGate:
    def __init__(self, tmpl):
        self.tmpl = dict(tmpl)
        self.puts = []

    def get_vm(self):
        return {'VM': {'ID': '0', 'USER_TEMPLATE': dict(self.tmpl)}}

    def update_vm(self, attrs):
        self.puts.append(('update', dict(attrs)))
        self.tmpl.update((k, str(v)) for k, v in attrs.items())

    def erase_vm_attribute(self, name):
        self.puts.append(('erase', name))
        del self.tmpl[name]


def test_ensure_vm_attributes_sends_only_differences():
    gate = FakeGate({'READY': 'YES'})
    check = ensure_vm_attributes(gate, 'present', {'READY': 'YES', 'A': 1}, check_mode=True)
    assert check['changed'] and gate.puts == [] and check['diff'] == {'before': {}, 'after': {'A': '1'}}
    applied = ensure_vm_attributes(gate, 'present', {'READY': 'YES', 'A': 1})
    assert applied['changed'] and gate.puts == [('update', {'A': '1'})]
    assert applied['vm']['VM']['USER_TEMPLATE']['A'] == '1'
    assert not ensure_vm_attributes(gate, 'present', {'READY': 'YES', 'A': 1})['changed']
    erased = ensure_vm_attributes(gate, 'absent', names=['A', 'GONE'])
    assert erased['changed'] and gate.puts[-1] == ('erase', 'A') and erased['diff']['before'] == {'A': '1'}
    assert not ensure_vm_attributes(gate, 'absent', names=['A'])['changed']


def test_an_empty_value_is_erased_never_sent_and_lists_compare_decoded():
    gate = FakeGate({'READY': 'YES', 'FL_ENROLLED': encode_value(['3'])})
    check = ensure_vm_attributes(gate, 'present', {'FL_ENROLLED': [], 'READY': ''}, check_mode=True)
    assert check['changed'] and gate.puts == []
    assert check['diff'] == {'before': {'FL_ENROLLED': ['3'], 'READY': 'YES'}, 'after': {}}
    ensure_vm_attributes(gate, 'present', {'FL_ENROLLED': [], 'READY': ''})
    assert sorted(gate.puts) == [('erase', 'FL_ENROLLED'), ('erase', 'READY')] and gate.tmpl == {}
    assert not ensure_vm_attributes(gate, 'present', {'FL_ENROLLED': [], 'READY': ''})['changed']
    ensure_vm_attributes(gate, 'present', {'FL_ENROLLED': ['3', '4']})
    assert gate.puts[-1] == ('update', {'FL_ENROLLED': encode_value(['3', '4'])})
    assert not ensure_vm_attributes(gate, 'present', {'FL_ENROLLED': ['3', '4']})['changed']
