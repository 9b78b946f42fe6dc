#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: opennebula.flower contributors
# Apache License 2.0 (see LICENSE or https://www.apache.org/licenses/LICENSE-2.0)

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

DOCUMENTATION = r'''
---
module: oneflow_template
short_description: Manage OneFlow service templates
version_added: 1.0.0
description:
  - Makes a OneFlow service template, identified by its unique name, present with a given body, or absent.
  - The template is updated (C(PUT /service_template/<id>)) only when the normalised body differs from the stored
    one. Server-managed keys such as C(registration_time) and default values are ignored in the comparison.
  - The body may be written in the OpenNebula 7.x schema (C(template_id), C(type), C(template_contents),
    C(user_inputs)) or the 6.x schema (C(vm_template), C(vm_template_contents), C(custom_attrs)). It is converted
    to the schema of the server, read from C(one.system.version) or set with O(schema). 7.x servers are always sent
    the 7.x schema, because their automatic 6.x conversion breaks instantiation with user inputs.
  - On 6.x, OneFlow passes a role's C(vm_template_contents) as the extra template of the instantiation, so an
    attribute given there (for example C(CONTEXT)) replaces the VM template's attribute instead of being merged
    into it. Give the whole C(CONTEXT) (C(TOKEN), C(NETWORK), C(REPORT_READY), ...) in such roles.
extends_documentation_fragment:
  - opennebula.flower._opennebula
attributes:
  check_mode:
    support: full
    description: Check mode predicts C(changed) exactly and returns the predicted body.
  diff_mode:
    support: full
    description: Returns the normalised body before and after.
  idempotent:
    support: full
    description: A second run with the same body reports no change.
options:
  name:
    description:
      - Name of the service template. Names must be unique among the templates the user can see.
    type: str
    required: true
  state:
    description:
      - V(present) creates or updates the template; V(absent) deletes it.
    type: str
    choices: [present, absent]
    default: present
  template:
    description:
      - The service template body (C(deployment), C(roles), C(ready_status_gate), C(user_inputs), ...) without
        the name, which comes from O(name). Required when O(state=present).
    type: dict
  schema:
    description:
      - OneFlow template schema. V(auto) reads the OpenNebula version over XML-RPC.
    type: str
    choices: [auto, '6', '7']
    default: auto
  delete_type:
    description:
      - With O(state=absent), V(templates) also deletes the VM templates of the roles and V(all) their images too.
    type: str
    choices: [none, templates, all]
    default: none
requirements:
  - python >= 3.8
author:
  - opennebula.flower contributors (@OpenNebula)
'''

EXAMPLES = r'''
- name: Flower service template (superlink then supernodes, released by READY=YES)
  opennebula.flower.oneflow_template:
    name: flower-federation
    api_url: https://frontend.example.com:2633/RPC2
    oneflow_url: https://frontend.example.com:2474
    template:
      deployment: straight
      ready_status_gate: true
      user_inputs:
        FL_NUM_ROUNDS: "O|number|Rounds||3"
      roles:
        - name: superlink
          type: vm
          template_id: 0
          cardinality: 1
        - name: supernode
          type: vm
          template_id: 1
          parents: [superlink]
          cardinality: 2
          min_vms: 1
          max_vms: 8
          template_contents:
            CONTEXT:
              FL_SUPERLINK_IP: "${superlink.TEMPLATE.CONTEXT.ETH0_IP}"
  register: flower_template

- name: Show its id
  ansible.builtin.debug:
    var: flower_template.id

- name: Remove it
  opennebula.flower.oneflow_template:
    name: flower-federation
    state: absent
'''

RETURN = r'''
id:
  description: ID of the service template (null when absent, or when it would be created in check mode).
  type: int
  returned: always
  sample: 4
template:
  description: The stored template body (the predicted body in check mode); null when absent.
  type: dict
  returned: always
  sample: {"name": "flower-federation", "deployment": "straight", "roles": [], "registration_time": 1767225600}
schema:
  description: The OneFlow schema used.
  type: str
  returned: always
  sample: "7"
'''

from ansible_collections.opennebula.flower.plugins.module_utils._one_connection import ONED
from ansible_collections.opennebula.flower.plugins.module_utils._one_module import OpenNebulaModule
from ansible_collections.opennebula.flower.plugins.module_utils._oneflow import ensure_template


class ServiceTemplateModule(OpenNebulaModule):
    connection = ONED
    module_kwargs = dict(required_if=[('state', 'present', ['template'])])

    def options(self):
        return dict(
            name=dict(type='str', required=True),
            state=dict(type='str', choices=['present', 'absent'], default='present'),
            template=dict(type='dict'),
            schema=dict(type='str', choices=['auto', '6', '7'], default='auto'),
            delete_type=dict(type='str', choices=['none', 'templates', 'all'], default='none'),
        )

    def needs_library(self):
        # oned is asked only for the OpenNebula version that picks the schema.
        return self.params['state'] == 'present' and self.params['schema'] == 'auto'

    def action(self):
        return 'OneFlow service template %s' % self.params['name']

    def run(self, client):
        p = self.params
        schema = client.schema(p['schema']) if p['state'] == 'present' else p['schema']
        result = ensure_template(client.oneflow(), p['name'], p['template'], p['state'], schema, self.module.check_mode,
                                 None if p['delete_type'] == 'none' else p['delete_type'])
        result['schema'] = schema
        return result


def main():
    ServiceTemplateModule().execute()


if __name__ == '__main__':
    main()
