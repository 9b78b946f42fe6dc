# -*- coding: utf-8 -*-
# Copyright: opennebula.flower contributors
# Apache License 2.0 (see LICENSE or https://www.apache.org/licenses/LICENSE-2.0)

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

DOCUMENTATION = r'''
---
name: run_config_typed
short_description: A run's run-config overrides typed like the app's defaults
version_added: 1.1.0
description:
  - Converts each text value (as C(-e flower_train_rounds=5) gives it) to the type of the key's default in the app's
    run config (integer, float or boolean), so that the run gets C(5), not C("5"). A value that does not convert is
    left as it is for P(opennebula.flower.training_problems#filter) to name.
options:
  _input:
    description: The run's run-config overrides.
    type: dict
    required: true
  defaults:
    description: The app's run config with its defaults (P(opennebula.flower.flower_app_run_config#lookup)).
    type: dict
    required: true
author:
  - opennebula.flower contributors (@OpenNebula)
'''

EXAMPLES = r'''
- name: Five rounds as an integer
  ansible.builtin.debug:
    msg: "{{ {'num-server-rounds': '5'} | opennebula.flower.run_config_typed({'num-server-rounds': 3}) }}"
'''

RETURN = r'''
_value:
  description: The overrides, text values converted where the default is a number or a boolean.
  type: dict
'''

from ansible.errors import AnsibleFilterError

from ansible_collections.opennebula.flower.plugins.module_utils._training import typed_like


def run_config_typed(overrides, defaults):
    if not isinstance(overrides, dict) or not isinstance(defaults, dict):
        raise AnsibleFilterError('run_config_typed: the input and defaults must be run configs (dicts), got %r and %r'
                                 % (overrides, defaults))
    return typed_like(overrides, defaults)


class FilterModule(object):
    def filters(self):
        return {'run_config_typed': run_config_typed}
