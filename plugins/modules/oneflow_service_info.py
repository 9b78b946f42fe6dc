#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: opennebula.flower contributors
# Apache License 2.0 (see LICENSE or https://www.apache.org/licenses/LICENSE-2.0)

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

DOCUMENTATION = r'''
---
module: oneflow_service_info
short_description: Read OneFlow services, their roles and VMs
version_added: 1.0.0
description:
  - Lists OneFlow services, or one service by O(name) or O(service_id), with each role's VMs.
  - With O(with_vms=true) each VM's state, IPs and USER_TEMPLATE (the attributes published through OneGate) are
    read from oned.
extends_documentation_fragment:
  - opennebula.flower._read_only
  - opennebula.flower._opennebula
options:
  name:
    description:
      - Only the service with this name (services in state DONE are ignored).
    type: str
  service_id:
    description:
      - Only the service with this id (id 0 is valid).
    type: int
  with_vms:
    description:
      - Read each VM from oned (state, IPs, USER_TEMPLATE). V(false) returns only the ids and names OneFlow stores.
    type: bool
    default: true
requirements:
  - python >= 3.8
author:
  - opennebula.flower contributors (@OpenNebula)
'''

EXAMPLES = r'''
- name: Read the Flower service
  opennebula.flower.oneflow_service_info:
    name: flower-run-1
  register: info

- name: Print the supernode IPs
  ansible.builtin.debug:
    msg: "{{ info.services[0].roles | selectattr('name', 'equalto', 'supernode') | map(attribute='vms')
             | flatten | map(attribute='ips') | flatten }}"
'''

RETURN = r'''
services:
  description: The matching services (empty when none matches).
  type: list
  elements: dict
  returned: always
  sample:
    - id: 12
      name: flower-run-1
      state: RUNNING
      roles:
        - name: supernode
          cardinality: 1
          state: RUNNING
          vms:
            - id: 3
              name: supernode_0_(service_12)
              state: ACTIVE/RUNNING
              ips: [10.0.0.13]
              nics: [{"IP": "10.0.0.13", "NETWORK": "private"}]
              user_template: {"READY": "YES"}
'''

from ansible_collections.opennebula.flower.plugins.module_utils._one_connection import ONED
from ansible_collections.opennebula.flower.plugins.module_utils._one_module import OpenNebulaModule
from ansible_collections.opennebula.flower.plugins.module_utils._oneflow import (
    body_of, service_state, service_summary, unwrap,
)


class ServiceInfoModule(OpenNebulaModule):
    connection = ONED
    module_kwargs = dict(mutually_exclusive=[('name', 'service_id')])
    fails_with = ()

    def options(self):
        return dict(
            name=dict(type='str'),
            service_id=dict(type='int'),
            with_vms=dict(type='bool', default=True),
        )

    def needs_library(self):
        # oned is asked only for the VMs.
        return self.params['with_vms']

    def action(self):
        return 'Reading OneFlow services'

    def run(self, client):
        p = self.params
        flow = client.oneflow()
        if p['service_id'] is not None:
            doc = flow.get_service(p['service_id'])
            docs = [doc] if doc is not None else []
        else:
            docs = [unwrap(d) for d in flow.list_services()]
            if p['name'] is not None:
                docs = [d for d in docs if d.get('NAME') == p['name'] and service_state(d) != 'DONE']
        vm_lookup = client.vm_lookup if p['with_vms'] else None
        services = [service_summary(d, vm_lookup) for d in docs if body_of(d) is not None]
        return dict(changed=False, services=sorted(services, key=lambda s: s['id']))


def main():
    ServiceInfoModule().execute()


if __name__ == '__main__':
    main()
