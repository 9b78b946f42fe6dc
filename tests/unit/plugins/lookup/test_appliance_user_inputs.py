# -*- coding: utf-8 -*-
# Copyright: opennebula.flower contributors
# Apache License 2.0 (see LICENSE or https://www.apache.org/licenses/LICENSE-2.0)
"""The lookup as a playbook sees it."""
from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

from ansible_collections.opennebula.flower.plugins.module_utils._appliance_schema import variables_for
from tests.unit.plugins.lookup.through_ansible import lookup


def test_user_inputs_and_context_references_cover_exactly_the_roles_variables():
    inputs = lookup("lookup('opennebula.flower.appliance_user_inputs', 'supernode')")['msg']
    context = lookup("lookup('opennebula.flower.appliance_user_inputs', 'supernode', form='context')")['msg']
    names = sorted(v.context_name for v in variables_for('supernode'))
    assert sorted(inputs) == names and sorted(context) == names
    assert inputs['ONEAPP_FL_DISCOVERY_TIMEOUT'] == ('O|number|Seconds to wait for the SuperLink to publish '
                                                     'FL_READY in OneGate||900')
    assert context['ONEAPP_FL_NODE_CONFIG'] == '$ONEAPP_FL_NODE_CONFIG'


def test_an_unknown_role_is_an_error():
    result = lookup("lookup('opennebula.flower.appliance_user_inputs', 'worker')")
    assert "role 'worker' is not allowed; allowed: superlink, supernode" in result['msg']
