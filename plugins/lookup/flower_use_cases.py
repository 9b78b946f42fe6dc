# -*- coding: utf-8 -*-
# Copyright: opennebula.flower contributors
# Apache License 2.0 (see LICENSE or https://www.apache.org/licenses/LICENSE-2.0)

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

DOCUMENTATION = r'''
---
name: flower_use_cases
short_description: The use cases the collection's Flower Apps train, with their frameworks and Python modules
version_added: 1.1.0
description:
  - One entry per use case (docs/use-cases.md) with the app it runs (a folder of the collection's C(apps)), its
    frameworks (the default first) and, per framework, the Python modules Flower's virtualenv must hold to run it.
  - The SuperLink appliance's C(ONEAPP_FL_USE_CASE) and C(ONEAPP_FL_FRAMEWORK) are checked against the same table.
options: {}
author:
  - opennebula.flower contributors (@OpenNebula)
'''

EXAMPLES = r'''
- name: Show the frameworks of the anomaly-detection use case
  ansible.builtin.debug:
    msg: "{{ lookup('opennebula.flower.flower_use_cases')['anomaly-detection'].frameworks }}"
'''

RETURN = r'''
_raw:
  description: >-
    One dict, use case to C(app), C(frameworks) and C(modules) (framework to the modules it needs for this use case).
  type: list
  elements: dict
'''

from ansible.plugins.lookup import LookupBase

from ansible_collections.opennebula.flower.plugins.module_utils._training import FRAMEWORK_MODULES, USE_CASES


class LookupModule(LookupBase):
    def run(self, terms, variables=None, **kwargs):
        self.set_options(var_options=variables, direct=kwargs)
        return [dict((name, {'app': spec['app'], 'frameworks': list(spec['frameworks']),
                             'modules': dict((framework, list(FRAMEWORK_MODULES[framework]) + list(spec['modules']))
                                             for framework in spec['frameworks'])})
                     for name, spec in USE_CASES.items())]
