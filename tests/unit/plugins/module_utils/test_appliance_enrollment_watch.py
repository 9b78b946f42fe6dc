# -*- coding: utf-8 -*-
# Copyright: opennebula.flower contributors
# Apache License 2.0 (see LICENSE or https://www.apache.org/licenses/LICENSE-2.0)
"""The SuperLink's enrollment service: how fast it polls, what it publishes, and that failures never stop it."""

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

from ansible_collections.opennebula.flower.plugins.module_utils import _appliance_enrollment_watch as watcher
from ansible_collections.opennebula.flower.plugins.module_utils._appliance_enrollment_watch import (
    Backoff, pending, watch)
from ansible_collections.opennebula.flower.plugins.module_utils._http import ServerError
from ansible_collections.opennebula.flower.plugins.module_utils._onegate import decode_value


def service(nodes, cardinality=None):
    return {'SERVICE': {'roles': [{'name': 'supernode', 'cardinality': len(nodes) if cardinality is None else cardinality,
                                   'nodes': [{'deploy_id': i, 'vm_info': {'VM': {'ID': str(i), 'STATE': '3',
                                                                                 'USER_TEMPLATE': {}}}}
                                             for i in nodes]}]}}


def test_pending_while_a_node_is_missing_or_not_enrolled():
    assert pending(service([3, 4]), 'supernode', ['3'])
    assert pending(service([3], cardinality=2), 'supernode', ['3'])
    assert not pending(service([3, 4]), 'supernode', ['3', '4'])


def test_backoff_is_short_while_busy_and_doubles_to_the_cap_while_idle():
    backoff = Backoff(0.5, 4)
    assert [backoff.next(False) for dummy in range(5)] == [1, 2, 4, 4, 4]
    assert backoff.next(True) == 0.5


class Gate(object):
    def __init__(self, docs):
        self.docs = list(docs)
        self.template = {}
        self.vm_reads = 0

    def get_service(self, extended=True):
        doc = self.docs.pop(0)
        if isinstance(doc, Exception):
            raise doc
        return doc

    def get_vm(self):
        self.vm_reads += 1
        return {'VM': {'USER_TEMPLATE': dict(self.template)}}

    def update_vm(self, attrs):
        self.template.update(attrs)

    def erase_vm_attribute(self, name):
        del self.template[name]


def test_watch_publishes_the_enrolled_list_logs_failures_and_keeps_going(monkeypatch):
    results = iter([
        dict(changed=True, added=['3'], removed=[], failed={}, rejected={}, enrolled=['3']),
        dict(changed=False, added=[], removed=[], failed={}, rejected={}, enrolled=['3']),
    ])
    monkeypatch.setattr(watcher, 'reconcile', lambda doc, role, record, cli, registry: next(results))
    gate = Gate([service([3]), ServerError('Internal server error', status=500), service([3])])
    logged, slept = [], []
    watch(gate, None, 'supernode', None, None, Backoff(0.5, 4), logged.append, sleep=slept.append, passes=3)
    assert decode_value(gate.template['FL_ENROLLED']) == ['3']
    assert gate.vm_reads == 2   # published once (read, update, read); the unchanged third pass reads nothing
    assert slept == [0.5, 1]
    assert logged[0].startswith('enrolled VMs 3 (added 3') and 'Internal server error' in logged[1]
