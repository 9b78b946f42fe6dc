# -*- coding: utf-8 -*-
# Copyright: opennebula.flower contributors
# Apache License 2.0 (see LICENSE or https://www.apache.org/licenses/LICENSE-2.0)
"""The lookup as a playbook sees it: run through ``ansible`` with the repository's configuration."""
from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

import json
import os
import re
import subprocess
import sys

from ansible_collections.opennebula.flower.plugins.module_utils._appliance_schema import variables_for

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), '..', '..', '..', '..'))


def lookup(expression):
    env = dict(os.environ, ANSIBLE_CONFIG=os.path.join(ROOT, 'ansible.cfg'), ANSIBLE_CALLBACK_RESULT_FORMAT='json',
               ANSIBLE_NOCOLOR='1')
    ansible = os.path.join(os.path.dirname(sys.executable), 'ansible')
    proc = subprocess.run([ansible, 'localhost', '-c', 'local', '-i', 'localhost,', '-m', 'ansible.builtin.debug',
                           '-a', 'msg={{ %s }}' % expression], cwd=ROOT, env=env, capture_output=True, text=True, check=False)
    # "localhost | SUCCESS => {...}" or "localhost | FAILED! => {...}"
    assert proc.returncode == (0 if '| SUCCESS =>' in proc.stdout else 2), proc.stdout + proc.stderr
    return json.loads(re.split(r'\| (?:SUCCESS|FAILED!) => ', proc.stdout, maxsplit=1)[1])


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
