# -*- coding: utf-8 -*-
# Copyright: opennebula.flower contributors
# Apache License 2.0 (see LICENSE or https://www.apache.org/licenses/LICENSE-2.0)

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

DOCUMENTATION = r'''
---
name: flower_layout
short_description: How a supported Flower release is laid out on the network
version_added: 1.1.0
description:
  - For a Flower release such as C(1.42.0), its entry of the collection's one table of supported releases
    (plugins/module_utils/_flower_layouts.py), which the roles' templates and readiness checks, the appliance and its
    CONTEXT schema read.
  - An unsupported or malformed release is an error naming the variable (O(variable)), its value and the releases
    allowed.
options:
  _terms:
    description: One Flower release, C(major.minor.patch).
    type: list
    elements: str
    required: true
  variable:
    description: The variable the release came from, named in the error.
    type: str
    default: flower version
author:
  - opennebula.flower contributors (@OpenNebula)
'''

EXAMPLES = r'''
- name: Start Flower 1.31 with a port per API
  ansible.builtin.debug:
    msg: "{{ lookup('opennebula.flower.flower_layout', '1.31.0').api }}"
'''

RETURN = r'''
_raw:
  description: >-
    The layout, a dict with C(minor), C(api) (C(http) one port for all APIs or C(grpc) a port each),
    C(control_on_fleet_port), C(health) (GET /health on the Fleet port) and C(fleet_proxy) (an appliance exposes
    only the Fleet paths, through nginx).
  type: list
  elements: dict
'''

from ansible.errors import AnsibleLookupError
from ansible.plugins.lookup import LookupBase

from ansible_collections.opennebula.flower.plugins.module_utils._flower_layouts import layout, problem


class LookupModule(LookupBase):
    def run(self, terms, variables=None, **kwargs):
        self.set_options(var_options=variables, direct=kwargs)
        if len(terms) != 1:
            raise AnsibleLookupError('flower_layout: give one Flower release, got %r' % (terms,))
        why = problem(terms[0])
        if why:
            raise AnsibleLookupError('%s=%s %s' % (self.get_option('variable'), terms[0], why))
        return [layout(terms[0])]
