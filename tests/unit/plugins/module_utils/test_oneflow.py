# -*- coding: utf-8 -*-
# Copyright: opennebula.flower contributors
# Apache License 2.0 (see LICENSE or https://www.apache.org/licenses/LICENSE-2.0)
"""_oneflow: schemas, normalisation, merge templates, documents (shapes from the recorded 7.4.0 exchanges)."""

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

import copy

import pytest

from ansible_collections.opennebula.flower.plugins.module_utils._oneflow import (
    SERVICE_ABSENT, SERVICE_RUNNING, build_merge_template, documents, ensure_template, find_document, log_tail, normalise_template_body,
    schema_for_version, service_summary, state_name, template_differs, to_schema,
)

# The body sent in recorded exchange 53 (POST /service_template) ...
SENT = {
    "name": "fl-cluster", "deployment": "straight", "ready_status_gate": True,
    "user_inputs": {"FL_NUM_ROUNDS": "O|number|Rounds||3"},
    "roles": [
        {"name": "superlink", "type": "vm", "template_id": 0, "cardinality": 1, "min_vms": 1, "max_vms": 1,
         "template_contents": {"CONTEXT": {"FL_ROLE": "superlink"}}},
        {"name": "supernode", "type": "vm", "template_id": 0, "parents": ["superlink"], "cardinality": 2,
         "min_vms": 1, "max_vms": 4,
         "elasticity_policies": [{"type": "CHANGE", "adjust": 1, "expression": "CPU > 80", "period_number": 3,
                                  "period": 10, "cooldown": 20}],
         "template_contents": {"CONTEXT": {"FL_ROLE": "supernode"}}},
    ],
}
# ... and what the server stored: the same plus registration_time.
STORED = dict(copy.deepcopy(SENT), registration_time=1795890766)

SERVICE_DOC = {"DOCUMENT": {"ID": "1", "NAME": "fl-run-1", "TYPE": "100", "TEMPLATE": {"BODY": {
    "name": "fl-run-1", "state": 7,
    "log": [{"timestamp": 1, "severity": "I", "message": "New state: DEPLOYING"},
            {"timestamp": 2, "severity": "E", "message": "Role superlink: VM 2 is in BOOT_FAILURE"}],
    "roles": [
        {"name": "superlink", "cardinality": 1, "state": 7,
         "nodes": [{"deploy_id": 0, "vm_info": {"VM": {
             "ID": "0", "UID": "0", "GID": "0", "UNAME": "oneadmin", "GNAME": "oneadmin",
             "NAME": "superlink_0_(service_1)"}}}]},
        {"name": "supernode", "cardinality": 2, "state": 0},
    ]}}}}


def test_state_names():
    assert state_name(2) == 'RUNNING' and state_name('10') == 'COOLDOWN' and state_name(15) == 'HOLD'
    assert state_name(99) == 'STATE_99'


@pytest.mark.parametrize('version,schema', [('7.4.0', '7'), ('7.0.0', '7'), ('6.10.0', '6'), ('6.4.0', '6'),
                                            ('10.0', '7')])
def test_schema_for_version(version, schema):
    assert schema_for_version(version) == schema


def test_stored_template_does_not_differ_from_sent():
    assert not template_differs(SENT, STORED)
    changed = copy.deepcopy(STORED)
    changed['roles'][1]['max_vms'] = 8
    assert template_differs(SENT, changed)


def test_numeric_strings_and_defaults_are_normalised():
    sent = copy.deepcopy(SENT)
    sent['roles'][1]['cardinality'] = '2'
    sent['roles'][0]['parents'] = []
    sent['description'] = ''
    assert normalise_template_body(sent) == normalise_template_body(STORED)


def test_7_to_6_and_back():
    six = to_schema(SENT, '6')
    role = six['roles'][1]
    assert 'template_id' not in role and role['vm_template'] == 0 and 'type' not in role
    assert role['vm_template_contents'] == 'CONTEXT=[FL_ROLE="supernode"]'
    assert six['custom_attrs'] == SENT['user_inputs'] and 'user_inputs' not in six
    seven = to_schema(six, '7')
    assert seven['roles'][1]['template_contents'] == {'CONTEXT': {'FL_ROLE': 'supernode'}}
    assert seven['roles'][1]['type'] == 'vm' and seven['user_inputs'] == SENT['user_inputs']
    assert not template_differs(seven, SENT)


def test_vr_roles_need_7():
    with pytest.raises(ValueError):
        to_schema({'name': 'x', 'roles': [{'name': 'r', 'type': 'vr', 'template_id': 1}]}, '6')


def test_merge_template_7_by_name():
    merge = build_merge_template(STORED, '7', 'run', {'FL_NUM_ROUNDS': 5},
                                 roles=[{'name': 'supernode', 'cardinality': 3,
                                         'template_contents': {'CONTEXT': {'X': '1'}}}])
    assert merge == {'name': 'run', 'user_inputs_values': {'FL_NUM_ROUNDS': '5'},
                     'roles': [{'name': 'supernode', 'cardinality': 3, 'template_contents': {'CONTEXT': {'X': '1'}}}]}


def test_merge_template_6_by_index():
    merge = build_merge_template(to_schema(STORED, '6'), '6', 'run', {'FL_NUM_ROUNDS': 5},
                                 roles=[{'name': 'supernode', 'cardinality': 3,
                                         'template_contents': {'CONTEXT': {'X': '1'}}}])
    assert merge['custom_attrs_values'] == {'FL_NUM_ROUNDS': '5'}
    assert merge['roles'] == [{}, {'cardinality': 3, 'vm_template_contents': 'CONTEXT=[X="1"]'}]


def test_merge_template_unknown_role():
    with pytest.raises(ValueError) as info:
        build_merge_template(STORED, '7', roles=[{'name': 'nope', 'cardinality': 1}])
    assert 'nope' in str(info.value)


def test_documents_of_empty_and_single_pools():
    assert documents({'DOCUMENT_POOL': {}}) == []
    assert documents({'DOCUMENT_POOL': {'DOCUMENT': {'ID': '0'}}}) == [{'ID': '0'}]


def test_find_document_skips_done_and_rejects_duplicates():
    done = {'ID': '3', 'NAME': 'a', 'TEMPLATE': {'BODY': {'state': 5}}}
    live = {'ID': '4', 'NAME': 'a', 'TEMPLATE': {'BODY': {'state': 2}}}
    assert find_document([done, live], 'a', skip_done=True) is live
    with pytest.raises(ValueError):
        find_document([done, live], 'a')
    assert find_document([live], 'b') is None


def test_log_tail_prefers_errors():
    assert log_tail(SERVICE_DOC) == '[E] Role superlink: VM 2 is in BOOT_FAILURE'


def test_service_summary_keeps_vm_id_zero():
    seen = []

    def lookup(vm_id):
        seen.append(vm_id)
        return {'id': vm_id, 'ips': ['10.0.0.1']}
    summary = service_summary(SERVICE_DOC, lookup)
    assert seen == [0]
    assert summary['state'] == 'FAILED_DEPLOYING'
    assert summary['roles'][0]['vms'] == [{'id': 0, 'ips': ['10.0.0.1']}]
    assert summary['roles'][1] == {'name': 'supernode', 'cardinality': 2, 'state': 'PENDING', 'vms': []}


class FakeFlow:
    def __init__(self, docs):
        self.docs = docs
        self.calls = []

    def list_templates(self):
        return self.docs

    def create_template(self, body):
        self.calls.append(('create', body))
        return {'ID': '9', 'NAME': body['name'], 'TEMPLATE': {'BODY': body}}

    def update_template(self, tid, body):
        self.calls.append(('update', tid, body))
        return {'ID': str(tid), 'NAME': body['name'], 'TEMPLATE': {'BODY': body}}

    def delete_template(self, tid, delete_type=None):
        self.calls.append(('delete', tid))


def test_ensure_template_sequence_and_check_mode():
    body = dict((k, v) for k, v in SENT.items() if k != 'name')
    flow = FakeFlow([])
    assert ensure_template(flow, 'fl-cluster', body, check_mode=True)['changed'] and flow.calls == []
    created = ensure_template(flow, 'fl-cluster', body)
    assert created['changed'] and created['id'] == 9 and flow.calls[0][0] == 'create'
    flow.docs = [{'ID': '0', 'NAME': 'fl-cluster', 'TEMPLATE': {'BODY': STORED}}]
    again = ensure_template(flow, 'fl-cluster', body)
    assert not again['changed'] and again['id'] == 0 and len(flow.calls) == 1
    body['roles'][1]['max_vms'] = 8
    update = ensure_template(flow, 'fl-cluster', body, check_mode=True)
    assert update['changed'] and update['diff']['before']['roles'][1]['max_vms'] == 4 and len(flow.calls) == 1
    assert ensure_template(flow, 'fl-cluster', body)['changed'] and flow.calls[-1][:2] == ('update', 0)
    assert ensure_template(flow, 'fl-cluster', None, state='absent')['changed']
    assert flow.calls[-1] == ('delete', 0)


def test_service_tables():
    assert SERVICE_RUNNING.classify('COOLDOWN') == 'success'
    assert SERVICE_RUNNING.classify('SCALING') == 'retry'
    assert SERVICE_RUNNING.classify('WARNING') == 'failure'
    assert SERVICE_ABSENT.classify('UNDEPLOYING') == 'retry'
    assert SERVICE_ABSENT.classify('ABSENT') == 'success'
    assert SERVICE_ABSENT.classify('FAILED_UNDEPLOYING') == 'failure'
