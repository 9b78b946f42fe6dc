#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: opennebula.flower contributors
# Apache License 2.0 (see LICENSE or https://www.apache.org/licenses/LICENSE-2.0)

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

DOCUMENTATION = r'''
---
module: onegate_service_info
short_description: Read the calling VM's OneFlow service through OneGate
version_added: 1.0.0
description:
  - Runs inside an OpenNebula VM of a OneFlow service and reads the service with C(GET /service?extended=true),
    that is its roles, their VMs (nodes) and the attributes each VM published (USER_TEMPLATE).
  - Optionally waits, with backoff, until every VM of a role has published an attribute, for example until every
    SuperLink VM has published C(FL_ENDPOINT).
  - Reads the OneGate endpoint, the VM id and the token from C(/var/run/one-context/one_env) unless they are given.
extends_documentation_fragment:
  - opennebula.flower._read_only
  - opennebula.flower._opennebula.onegate
  - opennebula.flower._opennebula.polling
options:
  wait_for_attribute:
    description:
      - Wait until every VM of O(role) (of every role when O(role) is not set) has this attribute in its
        USER_TEMPLATE, and the role has as many VMs as its cardinality.
    type: str
  role:
    description:
      - Role whose VMs O(wait_for_attribute) looks at.
    type: str
  wait_timeout:
    description:
      - How long to wait for O(wait_for_attribute), in seconds.
    type: int
    default: 600
requirements:
  - python >= 3.8
author:
  - opennebula.flower contributors (@OpenNebula)
'''

EXAMPLES = r'''
- name: Wait for the SuperLink to publish its endpoint
  opennebula.flower.onegate_service_info:
    wait_for_attribute: FL_ENDPOINT
    role: superlink
    wait_timeout: 600
  register: flower_service

- name: Use it
  ansible.builtin.set_fact:
    superlink_endpoint: "{{ (flower_service.roles | selectattr('name', 'equalto', 'superlink') | first).nodes[0].user_template.FL_ENDPOINT }}"
'''

RETURN = r'''
service_id:
  description: Id of the service.
  type: int
  returned: success
  sample: 5
service_name:
  description: Name of the service.
  type: str
  returned: success
  sample: flower-run-1
state:
  description: OneFlow state number of the service.
  type: int
  returned: success
  sample: 2
roles:
  description: Roles with their nodes and each node's published attributes.
  type: list
  elements: dict
  returned: success
  sample:
    - name: superlink
      cardinality: 1
      state: 2
      nodes:
        - id: 12
          name: superlink_0_(service_5)
          state: "3"
          lcm_state: "3"
          ips: [10.0.0.12]
          user_template: {"FL_ENDPOINT": "10.0.0.12:9092", "READY": "YES"}
service:
  description: The raw C(GET /service?extended=true) answer.
  type: dict
  returned: success
  sample: {"SERVICE": {"id": "5", "name": "flower-run-1", "state": 2, "roles": []}}
'''

from ansible_collections.opennebula.flower.plugins.module_utils._one_module import OpenNebulaModule
from ansible_collections.opennebula.flower.plugins.module_utils._onegate import service_roles, wait_for_attribute
from ansible_collections.opennebula.flower.plugins.module_utils._onegate_connection import ONEGATE
from ansible_collections.opennebula.flower.plugins.module_utils._waiter import WaitError, Waiter, wait_options


class OneGateServiceInfoModule(OpenNebulaModule):
    connection = ONEGATE
    fails_with = (WaitError,)

    def options(self):
        return dict(
            wait_for_attribute=dict(type='str'),
            role=dict(type='str'),
            wait_timeout=dict(type='int', default=600),
            poll_interval=dict(type='float', default=2.0),
            max_poll_interval=dict(type='float', default=30.0),
        )

    def action(self):
        return 'OneGate GET /service'

    def failure(self, exc):
        return dict(roles=service_roles(exc.resource) if exc.resource else [])

    def run(self, client):
        p = self.params
        if p['wait_for_attribute']:
            doc = wait_for_attribute(client, Waiter(), p['wait_for_attribute'], p['role'], **wait_options(p))
        else:
            doc = client.get_service(extended=True)
        service = (doc or {}).get('SERVICE') or {}
        return dict(changed=False, service=doc, service_id=int(service.get('id')), service_name=service.get('name'),
                    state=service.get('state'), roles=service_roles(doc))


def main():
    OneGateServiceInfoModule().execute()


if __name__ == '__main__':
    main()
