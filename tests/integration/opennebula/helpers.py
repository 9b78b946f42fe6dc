# -*- coding: utf-8 -*-
# Copyright: opennebula.flower contributors
# Apache License 2.0 (see LICENSE or https://www.apache.org/licenses/LICENSE-2.0)
"""Objects the OneFlow tests build on."""

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

from ansible_collections.opennebula.flower.plugins.module_utils._one_documents import find_by_name
from ansible_collections.opennebula.flower.plugins.module_utils._one_template_syntax import render_template


def vm_template(client, name='fl-node', with_nic=True):
    """A VM template like the recorded one: TOKEN/REPORT_READY context, a NIC on the seeded fl-net."""
    existing = find_by_name(client.template_pool(), name)
    if existing is not None:
        return int(existing['ID'])
    attrs = {'CPU': '0.5', 'VCPU': '1', 'MEMORY': '256',
             'CONTEXT': {'TOKEN': 'YES', 'NETWORK': 'YES', 'REPORT_READY': 'YES'}}
    if with_nic:
        attrs['NIC'] = {'NETWORK': 'fl-net'}
    return client.template_allocate(render_template(dict(NAME=name, **attrs)))


def flower_template(template_id, ready_gate=True):
    """The service template body of the recorded scenario B (7.x schema)."""
    return {
        'description': 'Federated learning cluster',
        'deployment': 'straight',
        'ready_status_gate': ready_gate,
        'user_inputs': {'FL_NUM_ROUNDS': 'O|number|Rounds||3'},
        'roles': [
            {'name': 'superlink', 'type': 'vm', 'template_id': template_id, 'cardinality': 1, 'min_vms': 1,
             'max_vms': 1, 'template_contents': {'CONTEXT': {'FL_ROLE': 'superlink'}}},
            {'name': 'supernode', 'type': 'vm', 'template_id': template_id, 'parents': ['superlink'],
             'cardinality': 2, 'min_vms': 1, 'max_vms': 4,
             'template_contents': {'CONTEXT': {'FL_ROLE': 'supernode',
                                               'FL_SUPERLINK_IP': '${superlink.TEMPLATE.CONTEXT.ETH0_IP}'}}},
        ],
    }
