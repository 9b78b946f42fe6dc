# -*- coding: utf-8 -*-
# Copyright: opennebula.flower contributors
# Apache License 2.0 (see LICENSE or https://www.apache.org/licenses/LICENSE-2.0)

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

DOCUMENTATION = r'''
---
name: appliance_user_inputs
short_description: The CONTEXT inputs of a Flower appliance, from the appliance schema
version_added: 1.0.0
description:
  - Returns, for each role given, the C(ONEAPP_*) variables the appliance reads, as OpenNebula C(USER_INPUTS)
    strings (C(M|O|type|description|options|default)) or as the C(CONTEXT) references that pass them to the
    guest (C($ONEAPP_NAME)).
  - The same schema validates the variables at boot, so templates built from it can never offer a variable the
    appliance ignores.
options:
  _terms:
    description: Roles, C(superlink) or C(supernode).
    type: list
    elements: str
    required: true
  form:
    description: V(user_inputs) or V(context).
    type: str
    choices: [user_inputs, context]
    default: user_inputs
author:
  - opennebula.flower contributors (@OpenNebula)
'''

EXAMPLES = r'''
- name: A SuperNode VM template that asks for every appliance input
  opennebula.flower.one_vm_template:
    name: flower-supernode
    template:
      USER_INPUTS: "{{ lookup('opennebula.flower.appliance_user_inputs', 'supernode') }}"
      CONTEXT: "{{ lookup('opennebula.flower.appliance_user_inputs', 'supernode', form='context')
                   | combine({'TOKEN': 'YES', 'NETWORK': 'YES', 'REPORT_READY': 'YES'}) }}"
'''

RETURN = r'''
_raw:
  description: "One dict per role: C(ONEAPP_NAME) to its user input string, or to C($ONEAPP_NAME)."
  type: list
  elements: dict
'''

from ansible.errors import AnsibleLookupError
from ansible.plugins.lookup import LookupBase

from ansible_collections.opennebula.flower.plugins.module_utils._appliance_schema import (
    BOTH, context_references, user_inputs)


class LookupModule(LookupBase):
    def run(self, terms, variables=None, **kwargs):
        self.set_options(var_options=variables, direct=kwargs)
        form = self.get_option('form')
        result = []
        for role in terms:
            if role not in BOTH:
                raise AnsibleLookupError('appliance_user_inputs: role %r is not allowed; allowed: %s'
                                         % (role, ', '.join(BOTH)))
            result.append(user_inputs(role) if form == 'user_inputs' else context_references(role))
        return result
