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
  - Without a release, the entry of the newest supported minor. Its C(release) is the collection's default Flower
    release, the one the roles' defaults (C(superlink_flower_version), C(supernode_flower_version),
    C(appliance_flower_version)) and the image builds (images/build-image.sh) take.
  - An unsupported or malformed release is an error naming the variable (O(variable)), its value and the releases
    allowed.
options:
  _terms:
    description: One Flower release, C(major.minor.patch); none for the newest supported one.
    type: list
    elements: str
    required: false
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

- name: Show the Flower release the roles run when none is given
  ansible.builtin.debug:
    msg: "{{ lookup('opennebula.flower.flower_layout').release }}"
'''

RETURN = r'''
_raw:
  description: >-
    The layout, a dict with C(minor), C(release) (the release of that minor the collection pins and tests),
    C(api) (C(http) one port for all APIs or C(grpc) a port each), C(control_on_fleet_port), C(health) (GET /health
    on the Fleet port) and C(fleet_proxy) (an appliance exposes only the Fleet paths, through nginx).
  type: list
  elements: dict
'''

from ansible.errors import AnsibleLookupError
from ansible.plugins.lookup import LookupBase

from ansible_collections.opennebula.flower.plugins.module_utils._flower_layouts import default_release, layout, problem


class LookupModule(LookupBase):
    def run(self, terms, variables=None, **kwargs):
        self.set_options(var_options=variables, direct=kwargs)
        if len(terms) > 1:
            raise AnsibleLookupError('flower_layout: give one Flower release or none, got %r' % (terms,))
        release = terms[0] if terms else default_release()
        why = problem(release)
        if why:
            raise AnsibleLookupError('%s=%s %s' % (self.get_option('variable'), release, why))
        return [layout(release)]
