#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: opennebula.flower contributors
# Apache License 2.0 (see LICENSE or https://www.apache.org/licenses/LICENSE-2.0)

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

DOCUMENTATION = r'''
---
module: oneflow_service
short_description: Manage OneFlow services (instantiate, scale, wait, delete)
version_added: 1.0.0
description:
  - Makes a OneFlow service, identified by its unique O(name), present or absent.
  - When the service does not exist it is instantiated from a service template with user input values, network
    values, and per-role cardinality and template contents. On OpenNebula 7.x the role overrides are merged by
    role name, on 6.x by the role's position in the template.
  - When it exists, roles whose cardinality differs are scaled with C(POST /service/<id>/scale), always sending
    C(force). Scaling is refused by OneFlow outside RUNNING and WARNING, for example during a COOLDOWN.
    User inputs, networks and template contents of an existing service are not changed (OneFlow keeps them
    immutable); delete and re-create the service to change them.
  - With O(wait=true) the module waits until the service is RUNNING (or COOLDOWN after a scale), failing fast on
    the FAILED_* states with the service log.
  - V(absent) deletes the service (C(DELETE)), or uses C(recover) with C(delete) for failed and transient states,
    and waits until the document is gone.
  - Returns each role's VMs with their ids, names, states and IPs read from oned, and the attributes they
    published through OneGate (their USER_TEMPLATE).
extends_documentation_fragment:
  - opennebula.flower._opennebula
  - opennebula.flower._opennebula.wait
  - opennebula.flower._opennebula.polling
attributes:
  check_mode:
    support: full
    description: Predicts C(changed) exactly; a scale that OneFlow would refuse fails in check mode too.
  diff_mode:
    support: full
    description: Returns the service state and role cardinalities before and after.
  idempotent:
    support: full
    description: Services are matched by name, so a second run neither instantiates nor scales again.
options:
  name:
    description:
      - Unique name of the service. Services in state DONE are ignored when matching.
    type: str
    required: true
  state:
    description:
      - Whether the service should exist.
    type: str
    choices: [present, absent]
    default: present
  template_id:
    description:
      - ID of the service template to instantiate from (id 0 is valid). Needed only to create the service.
    type: int
  template_name:
    description:
      - Name of the service template to instantiate from, instead of O(template_id).
    type: str
  user_inputs_values:
    description:
      - Values of the template's user inputs (C(custom_attrs_values) on 6.x). Values are sent as strings.
    type: dict
  networks_values:
    description:
      - 'Values of the template''s networks, for example C([{"private": {"id": "0"}}]).'
    type: list
    elements: dict
  roles:
    description:
      - Per-role settings. At creation they are merged into the template; afterwards only C(cardinality) is
        reconciled.
    type: list
    elements: dict
    suboptions:
      name:
        description: Role name.
        type: str
        required: true
      cardinality:
        description: Number of VMs of the role.
        type: int
      template_contents:
        description: Attributes merged into the role's VM template at creation (for example C(CONTEXT)).
        type: dict
      user_inputs_values:
        description: Role-level user input values (override the service-level ones).
        type: dict
  force:
    description:
      - Sent as C(force) with every scale request; V(true) allows cardinalities outside C(min_vms)/C(max_vms).
    type: bool
    default: false
  schema:
    description:
      - OneFlow schema for the merge template. V(auto) reads the OpenNebula version over XML-RPC.
    type: str
    choices: [auto, '6', '7']
    default: auto
requirements:
  - python >= 3.8
author:
  - opennebula.flower contributors (@OpenNebula)
'''

EXAMPLES = r'''
- name: A Flower federation with three supernodes
  opennebula.flower.oneflow_service:
    name: flower-run-1
    template_name: flower-federation
    user_inputs_values:
      FL_NUM_ROUNDS: 5
    roles:
      - name: supernode
        cardinality: 3
        template_contents:
          CONTEXT:
            FL_PARTITIONS: "3"
    wait_timeout: 900
  register: federation

- name: SuperLink address
  ansible.builtin.debug:
    msg: "{{ (federation.service.roles | selectattr('name', 'equalto', 'superlink') | first).vms[0].ips[0] }}"

- name: Scale the supernodes to five
  opennebula.flower.oneflow_service:
    name: flower-run-1
    roles:
      - name: supernode
        cardinality: 5

- name: Delete the service
  opennebula.flower.oneflow_service:
    name: flower-run-1
    state: absent
'''

RETURN = r'''
service:
  description: The service, null when absent or when it would be created in check mode.
  type: dict
  returned: always
  contains:
    id:
      description: Service (document) id.
      type: int
      sample: 12
    name:
      description: Service name.
      type: str
      sample: flower-run-1
    state:
      description: OneFlow state name.
      type: str
      sample: RUNNING
    roles:
      description: The roles with their VMs.
      type: list
      elements: dict
      sample:
        - name: superlink
          cardinality: 1
          state: RUNNING
          vms:
            - id: 2
              name: superlink_0_(service_12)
              state: ACTIVE/RUNNING
              ips: [10.0.0.12]
              nics: [{"NIC_ID": "0", "IP": "10.0.0.12", "NETWORK": "private", "MAC": "02:00:0a:00:00:0c"}]
              user_template: {"READY": "YES", "FL_ENDPOINT": "10.0.0.12:9092", "ROLE_NAME": "superlink"}
service_id:
  description: Service id, null when there is none.
  type: int
  returned: always
  sample: 12
'''

from ansible_collections.opennebula.flower.plugins.module_utils._one_connection import ONED
from ansible_collections.opennebula.flower.plugins.module_utils._one_module import OpenNebulaModule
from ansible_collections.opennebula.flower.plugins.module_utils._oneflow import OneFlowError, ServiceManager
from ansible_collections.opennebula.flower.plugins.module_utils._waiter import Waiter, wait_argument_spec, wait_options


class ServiceModule(OpenNebulaModule):
    connection = ONED
    module_kwargs = dict(mutually_exclusive=[('template_id', 'template_name')])
    fails_with = (OneFlowError, ValueError)

    def options(self):
        options = wait_argument_spec()
        options.update(
            name=dict(type='str', required=True),
            state=dict(type='str', choices=['present', 'absent'], default='present'),
            template_id=dict(type='int'),
            template_name=dict(type='str'),
            user_inputs_values=dict(type='dict'),
            networks_values=dict(type='list', elements='dict'),
            roles=dict(type='list', elements='dict', options=dict(
                name=dict(type='str', required=True),
                cardinality=dict(type='int'),
                template_contents=dict(type='dict'),
                user_inputs_values=dict(type='dict'),
            )),
            force=dict(type='bool', default=False),
            schema=dict(type='str', choices=['auto', '6', '7'], default='auto'),
        )
        return options

    def action(self):
        return 'OneFlow service %s' % self.params['name']

    def failure(self, exc):
        if not isinstance(exc, OneFlowError):
            return {}
        return dict(service=exc.service, changed=exc.changed, service_id=exc.service['id'] if exc.service else None)

    def run(self, client):
        p = self.params
        manager = ServiceManager(client.oneflow(), Waiter(), wait_options(p), client.vm_lookup)
        if p['state'] == 'absent':
            result = manager.absent(p['name'], p['wait'], self.module.check_mode)
        else:
            result = manager.present(p['name'], client.schema(p['schema']), p['template_id'], p['template_name'],
                                     p['user_inputs_values'], p['networks_values'], p['roles'], p['force'],
                                     p['wait'], self.module.check_mode)
        result['service_id'] = result['service']['id'] if result['service'] else None
        return result


def main():
    ServiceModule().execute()


if __name__ == '__main__':
    main()
