#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: opennebula.flower contributors
# Apache License 2.0 (see LICENSE or https://www.apache.org/licenses/LICENSE-2.0)

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

DOCUMENTATION = r'''
---
module: onegate_vm
short_description: Publish or erase attributes of the calling VM through OneGate
version_added: 1.0.0
description:
  - Runs inside an OpenNebula VM and changes its USER_TEMPLATE through OneGate, so that OneFlow (C(READY=YES))
    and peer VMs (C(GET /service?extended=true), C(GET /vms/<id>)) can read the values.
  - Sends only the attributes whose value differs, as OpenNebula C(KEY=VALUE) template text (C(PUT /vm)); erases
    with C(PUT /vm?type=2), one attribute at a time.
  - Any value travels. OneGate refuses or rewrites commas, brackets, double quotes, backslashes and line breaks,
    so a text holding one of them, and every list or mapping, is sent as C(base64json:) followed by the base64 of
    its JSON; other texts, numbers and booleans (C(YES)/C(NO)) are sent as they are, so OneFlow can read them. An
    empty value is erased.
    The OneGate contract in C(docs/appliance.md) has the details.
  - Reads the OneGate endpoint, the VM id and the token from C(/var/run/one-context/one_env) unless they are given.
  - OneGate refuses to change C(SERVICE_ID), C(ROLE_NAME) and C(SCHED_REQUIREMENTS) (HTTP 403).
extends_documentation_fragment:
  - opennebula.flower._opennebula.onegate
attributes:
  check_mode:
    support: full
    description: Predicts C(changed) exactly.
  diff_mode:
    support: full
    description: Returns the changed attributes before and after.
  idempotent:
    support: full
    description: Values are compared as text; equal values are not sent again.
options:
  state:
    description:
      - V(present) publishes O(attributes); V(absent) erases O(names).
    type: str
    choices: [present, absent]
    default: present
  attributes:
    description:
      - Attributes to publish, as texts, numbers, booleans (sent as C(YES)/C(NO)), lists or mappings.
      - An empty value (empty text, empty list, null) erases the attribute.
    type: dict
  names:
    description:
      - Attribute names to erase with O(state=absent).
    type: list
    elements: str
requirements:
  - python >= 3.8
author:
  - opennebula.flower contributors (@OpenNebula)
'''

EXAMPLES = r'''
- name: Publish the SuperLink endpoint and report readiness
  opennebula.flower.onegate_vm:
    attributes:
      FL_ENDPOINT: "{{ ansible_default_ipv4.address }}:9092"
      READY: "YES"

- name: Erase a stale attribute
  opennebula.flower.onegate_vm:
    state: absent
    names: [FL_ENDPOINT]
'''

RETURN = r'''
vm:
  description: The VM document returned by C(GET /vm) after the change.
  type: dict
  returned: success
  sample:
    VM:
      ID: "12"
      NAME: supernode_0_(service_5)
      STATE: "3"
      LCM_STATE: "3"
      USER_TEMPLATE: {"FL_ENDPOINT": "10.0.0.12:9092", "READY": "YES", "ROLE_NAME": "supernode", "SERVICE_ID": "5"}
      TEMPLATE: {"NIC": [{"IP": "10.0.0.12", "NETWORK": "private"}], "NIC_ALIAS": []}
user_template:
  description: The VM's USER_TEMPLATE after the change, encoded values decoded.
  type: dict
  returned: success
  sample: {"FL_ENDPOINT": "10.0.0.12:9092", "READY": "YES"}
'''

from ansible_collections.opennebula.flower.plugins.module_utils._one_module import OpenNebulaModule
from ansible_collections.opennebula.flower.plugins.module_utils._onegate import (
    decode_template, ensure_vm_attributes, user_template,
)
from ansible_collections.opennebula.flower.plugins.module_utils._onegate_connection import ONEGATE


class OneGateVMModule(OpenNebulaModule):
    connection = ONEGATE
    module_kwargs = dict(required_if=[('state', 'present', ['attributes']), ('state', 'absent', ['names'])])

    def options(self):
        return dict(
            state=dict(type='str', choices=['present', 'absent'], default='present'),
            attributes=dict(type='dict'),
            names=dict(type='list', elements='str'),
        )

    def action(self):
        return 'OneGate update of VM %s' % self.client.vmid

    def run(self, client):
        p = self.params
        result = ensure_vm_attributes(client, p['state'], p['attributes'], p['names'], self.module.check_mode)
        result['user_template'] = decode_template(user_template(result['vm']))
        return result


def main():
    OneGateVMModule().execute()


if __name__ == '__main__':
    main()
