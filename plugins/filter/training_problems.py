# -*- coding: utf-8 -*-
# Copyright: opennebula.flower contributors
# Apache License 2.0 (see LICENSE or https://www.apache.org/licenses/LICENSE-2.0)

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

DOCUMENTATION = r'''
---
name: training_problems
short_description: Every rule a Flower run config breaks, before the run exists
version_added: 1.1.0
description:
  - Checks a run config (run-config keys such as C(strategy), C(min-nodes), C(num-malicious-nodes)) against the
    collection's training rules, the ones the digits app's ServerApp checks again before round 1 (docs/training.md).
  - The run's overrides are checked on top of O(defaults), the app's own run config, as Flower merges them; a key
    the app does not declare is refused, as Flower refuses it.
options:
  _input:
    description: The run's run-config overrides.
    type: dict
    required: true
  defaults:
    description: The app's run config with its defaults (P(opennebula.flower.flower_app_run_config#lookup)).
    type: dict
    required: true
  available_nodes:
    description: SuperNodes that can take part; C(min-nodes) must not exceed it. Unset skips that rule.
    type: int
  labels:
    description: Run-config key to the name the user set it by (a variable), used in the messages.
    type: dict
    default: {}
author:
  - opennebula.flower contributors (@OpenNebula)
'''

EXAMPLES = r'''
- name: Refuse a Krum run that cannot tolerate the nodes it says are malicious
  ansible.builtin.assert:
    that: problems | length == 0
    fail_msg: "{{ problems | join('; ') }}"
  vars:
    problems: >-
      {{ {'strategy': 'Krum', 'min-nodes': 4, 'num-malicious-nodes': 1}
         | opennebula.flower.training_problems(lookup('opennebula.flower.flower_app_run_config', 'digits'), 4) }}
'''

RETURN = r'''
_value:
  description: One message per broken rule, naming the setting, its value and what is allowed; empty when valid.
  type: list
  elements: str
'''

from ansible.errors import AnsibleFilterError
from ansible.module_utils.common.collections import is_string

from ansible_collections.opennebula.flower.plugins.module_utils._training import problems


def training_problems(overrides, defaults, available_nodes=None, labels=None):
    if not isinstance(overrides, dict) or not isinstance(defaults, dict):
        raise AnsibleFilterError('training_problems: the input and defaults must be run configs (dicts), got %r and %r'
                                 % (overrides, defaults))
    labels = labels or {}

    def label(key):
        return labels.get(key, key)

    if available_nodes is not None and (is_string(available_nodes) or not isinstance(available_nodes, int)):
        available_nodes = int(available_nodes)
    undeclared = sorted(set(overrides) - set(defaults))
    allowed = ', '.join(sorted(defaults))
    errors = ['%s=%r is not a run-config key of this app; allowed: %s' % (label(key), overrides[key], allowed)
              for key in undeclared]
    config = dict(defaults)
    config.update(overrides)
    return errors + problems(config, available_nodes, label)


class FilterModule(object):
    def filters(self):
        return {'training_problems': training_problems}
