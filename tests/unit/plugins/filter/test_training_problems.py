# -*- coding: utf-8 -*-
# Copyright: opennebula.flower contributors
# Apache License 2.0 (see LICENSE or https://www.apache.org/licenses/LICENSE-2.0)
"""train.yml's check of a run before it is submitted: the app's run config (lookup flower_app_run_config) under the
run's settings, through the training_problems filter, as a playbook evaluates them."""
from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

import json
import os
import subprocess
import sys

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), '..', '..', '..', '..'))


def evaluate(expression):
    """(ok, value or error text) of a Jinja expression evaluated by ansible with the repository's configuration."""
    env = dict(os.environ, ANSIBLE_CONFIG=os.path.join(ROOT, 'ansible.cfg'), ANSIBLE_NOCOLOR='1',
               ANSIBLE_CALLBACK_RESULT_FORMAT='json')
    ansible = os.path.join(os.path.dirname(sys.executable), 'ansible')
    proc = subprocess.run([ansible, 'localhost', '-c', 'local', '-i', 'localhost,', '-m', 'ansible.builtin.debug',
                           '-a', 'msg={{ %s | to_json }}' % expression], cwd=ROOT, env=env, capture_output=True,
                          text=True, check=False)
    if '| SUCCESS =>' in proc.stdout:
        return True, json.loads(json.loads(proc.stdout.split('| SUCCESS =>', 1)[1])['msg'])
    return False, proc.stdout + proc.stderr


DIGITS = "lookup('opennebula.flower.flower_app_run_config', 'digits')"


def problems(overrides, nodes=3, labels=None):
    ok, value = evaluate("%s | opennebula.flower.training_problems(%s, %d, %s)"
                         % (json.dumps(overrides), DIGITS, nodes, json.dumps(labels or {})))
    assert ok, value
    return value


def test_the_apps_defaults_pass_and_its_declared_keys_are_read_from_its_pyproject():
    ok, config = evaluate(DIGITS)
    assert ok and config['strategy'] == 'FedAvg' and 'dp-target-quantile' in config
    assert problems({}) == []
    assert problems({'strategy': 'Bulyan', 'min-nodes': 7, 'num-malicious-nodes': 1}, nodes=7) == []


def test_each_broken_rule_names_the_variable_that_set_it():
    assert problems({'strategy': 'Krum', 'num-malicious-nodes': 1, 'min-nodes': 3},
                    labels={'strategy': 'flower_train_strategy'}) == [
        'flower_train_strategy=Krum with num-malicious-nodes=1 (f) needs min-nodes >= 2f+3 = 5, but min-nodes=3; '
        'allowed: more nodes, a smaller f or another strategy']
    assert problems({'min-nodes': 4}) == ['min-nodes=4 is more than the 3 SuperNodes available; allowed: 1..3']


def test_a_key_the_app_does_not_declare_is_refused_as_flower_refuses_it():
    found = problems({'learning-rate': 0.1}, labels={'learning-rate': 'flower_train_run_config[learning-rate]'})
    assert len(found) == 1
    assert found[0].startswith('flower_train_run_config[learning-rate]=0.1 is not a run-config key of this app; '
                               'allowed: checkpoint-dir, checkpoint-interval, ')


def test_an_app_outside_the_collection_is_named_with_those_it_has():
    ok, error = evaluate("lookup('opennebula.flower.flower_app_run_config', 'nosuch')")
    assert not ok
    assert "app 'nosuch' is not one of this collection; allowed: anomaly_detection, digits" in error


def test_text_from_a_command_line_is_typed_like_the_apps_defaults():
    ok, typed = evaluate("{'num-server-rounds': '5', 'secagg': 'false', 'trim-beta': 'x', 'strategy': 'Krum'}"
                         " | opennebula.flower.run_config_typed(%s)" % DIGITS)
    assert ok, typed
    assert typed == {'num-server-rounds': 5, 'secagg': False, 'trim-beta': 'x', 'strategy': 'Krum'}
    assert problems({'trim-beta': 'x'}) == ["trim-beta='x' is not a number"]
