# -*- coding: utf-8 -*-
# Copyright: opennebula.flower contributors
# Apache License 2.0 (see LICENSE or https://www.apache.org/licenses/LICENSE-2.0)

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

DOCUMENTATION = r'''
---
name: flower_app_run_config
short_description: The run config a Flower App of this collection declares, with its defaults
version_added: 1.1.0
description:
  - Reads C([tool.flwr.app.config]) of the app's C(pyproject.toml) under the collection's C(apps) folder, that is
    the keys a run may override and the values Flower uses where it does not.
options:
  _terms:
    description: App names (folders of C(apps), such as C(digits)).
    type: list
    elements: str
    required: true
author:
  - opennebula.flower contributors (@OpenNebula)
'''

EXAMPLES = r'''
- name: Show the digits app's default strategy
  ansible.builtin.debug:
    msg: "{{ lookup('opennebula.flower.flower_app_run_config', 'digits').strategy }}"
'''

RETURN = r'''
_raw:
  description: One dict per app, run-config key to its default value.
  type: list
  elements: dict
'''

import os
import tomllib

from ansible.errors import AnsibleLookupError
from ansible.plugins.lookup import LookupBase

APPS_DIR = os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', '..', 'apps')


class LookupModule(LookupBase):
    def run(self, terms, variables=None, **kwargs):
        self.set_options(var_options=variables, direct=kwargs)
        available = sorted(name for name in os.listdir(APPS_DIR)
                           if os.path.isfile(os.path.join(APPS_DIR, name, 'pyproject.toml')))
        result = []
        for name in terms:
            if name not in available:
                raise AnsibleLookupError('flower_app_run_config: app %r is not one of this collection; allowed: %s'
                                         % (name, ', '.join(available)))
            with open(os.path.join(APPS_DIR, name, 'pyproject.toml'), 'rb') as handle:
                result.append(tomllib.load(handle)['tool']['flwr']['app'].get('config', {}))
        return result
