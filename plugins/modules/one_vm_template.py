#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: opennebula.flower contributors
# Apache License 2.0 (see LICENSE or https://www.apache.org/licenses/LICENSE-2.0)

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

DOCUMENTATION = r'''
---
module: one_vm_template
short_description: Manage OpenNebula VM templates by content
version_added: 1.0.0
description:
  - Makes a VM template, identified by its unique name among the user's templates, present with exactly the given
    attributes, or absent.
  - The stored attributes are compared with the desired ones after normalisation (upper-case names, values as
    text, a one-element list equal to the element). The template is replaced (C(one.template.update) type 0) only
    when they differ, so check mode and diff are exact, unlike community.general's C(one_template), which
    always reports a change in check mode.
extends_documentation_fragment:
  - opennebula.flower._opennebula
attributes:
  check_mode:
    support: full
    description: Predicts C(changed) exactly.
  diff_mode:
    support: full
    description: Returns the normalised attributes before and after.
  idempotent:
    support: full
    description: Templates are matched by name and compared by content.
options:
  name:
    description:
      - Template name.
    type: str
    required: true
  state:
    description:
      - Whether the template should exist.
    type: str
    choices: [present, absent]
    default: present
  template:
    description:
      - The template attributes as a dict (vectors as dicts, repeated vectors as lists of dicts) or as OpenNebula
        template text. C(NAME) is taken from O(name). Required with O(state=present).
    type: raw
requirements:
  - python >= 3.8
author:
  - opennebula.flower contributors (@OpenNebula)
'''

EXAMPLES = r'''
- name: SuperNode VM template
  opennebula.flower.one_vm_template:
    name: flower-supernode
    template:
      CPU: 1
      VCPU: 2
      MEMORY: 4096
      DISK:
        IMAGE_ID: 7
      NIC:
        - NETWORK: private
      CONTEXT:
        TOKEN: "YES"
        NETWORK: "YES"
        REPORT_READY: "YES"
        FL_ROLE: supernode
  register: supernode_template

- name: The same from template text
  opennebula.flower.one_vm_template:
    name: flower-superlink
    template: |
      CPU = 1
      MEMORY = 2048
      DISK = [ IMAGE_ID = 7 ]
      CONTEXT = [ TOKEN = "YES", NETWORK = "YES" ]
'''

RETURN = r'''
id:
  description: Template id (null when absent, or when it would be created in check mode).
  type: int
  returned: always
  sample: 3
template:
  description: The normalised template attributes (null when absent).
  type: dict
  returned: always
  sample: {"CPU": "1", "MEMORY": "4096", "DISK": {"IMAGE_ID": "7"}, "CONTEXT": {"TOKEN": "YES"}}
'''

from ansible_collections.opennebula.flower.plugins.module_utils._one_connection import ONED
from ansible_collections.opennebula.flower.plugins.module_utils._one_module import OpenNebulaModule
from ansible_collections.opennebula.flower.plugins.module_utils._one_vm_template import ensure_vm_template


class VMTemplateModule(OpenNebulaModule):
    connection = ONED
    module_kwargs = dict(required_if=[('state', 'present', ['template'])])

    def options(self):
        return dict(
            name=dict(type='str', required=True),
            state=dict(type='str', choices=['present', 'absent'], default='present'),
            template=dict(type='raw'),
        )

    def check_params(self):
        if self.params['template'] is not None and not isinstance(self.params['template'], (dict, str)):
            self.module.fail_json(msg='template must be a dict or template text')

    def action(self):
        return 'VM template %s' % self.params['name']

    def run(self, client):
        p = self.params
        return ensure_vm_template(client.xmlrpc(), p['name'], p['template'], p['state'], self.module.check_mode)


def main():
    VMTemplateModule().execute()


if __name__ == '__main__':
    main()
