# -*- coding: utf-8 -*-
# Copyright: opennebula.flower contributors
# Apache License 2.0 (see LICENSE or https://www.apache.org/licenses/LICENSE-2.0)
"""extensions/awx/job_templates.yml against the playbooks: every operator playbook has a job template, every survey
variable is one its playbook reads with the question's type, every question with choices is validated by the
playbook before it changes anything (run here with a value outside the choices), and no survey asks for what a
credential injects."""

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

import glob
import json
import os
import re
import subprocess

import pytest
import yaml

from ansible_collections.opennebula.flower.plugins.module_utils._awx_survey import survey_spec
from tests.integration.awx.awx_injectors import CREDENTIAL_TYPES, credential_type
from tests.integration.awx.conftest import ROOT, definitions, tool
from tests.integration.awx.test_credential_types import role_variables

BUILTIN_CREDENTIALS = ('machine',)  # AWX's own Machine type (SSH to the appliances), not a file of ours
QUESTION_TYPES = {'text': str, 'textarea': str, 'password': str, 'integer': int, 'float': float,
                  'multiplechoice': str}
SPEC_TYPES = {'text': 'str', 'textarea': 'str', 'password': 'str', 'integer': 'int', 'float': 'float',
              'multiplechoice': 'str'}
IMPORT = re.compile(r'^opennebula\.flower\.(\w+)$')


def plays(playbook):
    """The plays of a playbook with the plays of the collection playbooks it imports, in order."""
    with open(os.path.join(ROOT, playbook)) as handle:
        for play in yaml.safe_load(handle):
            imported = IMPORT.match(play.get('ansible.builtin.import_playbook', ''))
            if imported:
                yield from plays(os.path.join('playbooks', imported.group(1) + '.yml'))
            else:
                yield play


def play_vars(playbook):
    result = {}
    for play in plays(playbook):
        result.update(play.get('vars') or {})
    return result


def questions():
    for entry in definitions()['job_templates']:
        spec = survey_spec(entry, play_vars(entry['playbook']))
        for question in spec['spec']:
            yield entry, question


def test_every_operator_playbook_has_a_job_template_and_every_template_a_playbook():
    data = definitions()
    templates = set(entry['playbook'] for entry in data['job_templates'])
    exempt = set(data['not_job_templates'])
    playbooks = set(os.path.relpath(path, ROOT) for path in glob.glob(os.path.join(ROOT, 'playbooks', '*.yml')))
    assert playbooks - exempt - templates == set(), 'playbooks without a job template (or a reason in not_job_templates)'
    assert templates - playbooks == set(), 'job templates whose playbook does not exist'
    assert exempt - playbooks == set(), 'not_job_templates names playbooks that do not exist'
    assert templates & exempt == set()


def test_credentials_are_our_types_or_awx_builtins():
    ours = set(os.path.splitext(name)[0] for name in os.listdir(CREDENTIAL_TYPES))
    for entry in definitions()['job_templates']:
        assert set(entry['credentials']) <= ours | set(BUILTIN_CREDENTIALS), entry['name']


def test_surveys_never_ask_for_what_a_credential_injects():
    injected = set()
    for name in os.listdir(CREDENTIAL_TYPES):
        injectors = credential_type(os.path.splitext(name)[0])['injectors']
        injected |= set(injectors.get('extra_vars', {})) | set(n.lower() for n in injectors.get('env', {}))
    # The playbooks' own connection variable would bypass the credential.
    injected.add('flower_one_api')
    for entry, question in questions():
        assert question['variable'] not in injected, (entry['name'], question['variable'])


@pytest.mark.parametrize('entry,question', list(questions()),
                         ids=lambda value: value.get('variable', value.get('name')))
def test_every_survey_variable_is_read_by_its_playbook_with_the_same_type(entry, question):
    specs = role_variables()
    variable = question['variable']
    if variable in specs:
        assert specs[variable]['type'] == SPEC_TYPES[question['type']]
        if 'choices' in specs[variable]:
            assert question.get('choices') == specs[variable]['choices']
        return
    declared = play_vars(entry['playbook'])
    assert variable in declared, '%s does not read %s' % (entry['playbook'], variable)
    default = declared[variable]
    if default is not None and not (isinstance(default, str) and '{{' in default):
        assert isinstance(default, QUESTION_TYPES[question['type']]), (variable, default)
    if 'default' in question:
        assert 'min' not in question or question['min'] <= question['default'] <= question['max']


# How each playbook is run locally until its checks: train.yml on a SuperLink that is never reached (its
# connection given, so no pre_task looks for one) with one SuperNode in the inventory.
HARNESS = {
    'playbooks/train.yml': {
        'inventory': {'superlink': {'hosts': {'sl': {'ansible_connection': 'local'}}},
                      'supernode': {'hosts': {'sn': {'ansible_connection': 'local'}}}},
        'extra': {'superlink_connection': {'home': '/nonexistent/flower', 'flwr': '/nonexistent/flower/bin/flwr',
                                           'apps_dir': '/nonexistent/flower/apps', 'control_address': '127.0.0.1:9',
                                           'root_certificates': '', 'tls': False}},
    },
}


def failed_task(stdout):
    """The name of the task that failed, or None."""
    name = None
    for line in stdout.splitlines():
        banner = re.match(r'^TASK \[(.*)\] \**$', line)
        if banner:
            name = banner.group(1)
        if line.startswith('fatal:') or line.startswith('failed:'):
            return name
    return None


def run_playbook(tmp_path, playbook, extra):
    harness = HARNESS[playbook]
    inventory = tmp_path / 'hosts.yml'
    inventory.write_text(json.dumps(harness['inventory']))
    env = dict(os.environ, ANSIBLE_CONFIG=os.path.join(ROOT, 'ansible.cfg'), ANSIBLE_NOCOLOR='1',
               ANSIBLE_PYTHON_INTERPRETER=os.path.join(os.path.dirname(tool('python')), 'python'),
               FLWR_TELEMETRY_ENABLED='0', FLWR_DISABLE_UPDATE_CHECK='1')
    proc = subprocess.run([tool('ansible-playbook'), '-i', str(inventory), os.path.join(ROOT, playbook),
                           '-e', json.dumps(dict(harness['extra'], **extra))],
                          cwd=ROOT, env=env, capture_output=True, text=True, timeout=120, check=False)
    return proc


CHOICE_QUESTIONS = [(entry['playbook'], question) for entry, question in questions() if 'choices' in question]


def test_questions_with_choices_have_a_harness():
    assert CHOICE_QUESTIONS and set(playbook for playbook, _question in CHOICE_QUESTIONS) <= set(HARNESS)


@pytest.mark.parametrize('playbook,question', CHOICE_QUESTIONS, ids=lambda value: value.get('variable', value)
                         if isinstance(value, dict) else os.path.basename(value))
def test_playbook_refuses_a_value_outside_the_survey_choices_before_changing_anything(tmp_path, playbook, question):
    variable = question['variable']
    bad = run_playbook(tmp_path, playbook, {variable: 'not-a-choice'})
    assert bad.returncode != 0
    assert re.search(r'changed=0 ', bad.stdout), bad.stdout[-2000:]
    where = failed_task(bad.stdout)
    assert where is not None and where.startswith('Check '), (where, bad.stdout[-2000:])
    refused = r'%s=[\'"]*%s[\'"]* is not'
    assert re.search(refused % (re.escape(variable), 'not-a-choice'), bad.stdout), bad.stdout[-2000:]
    # An offered choice is not refused (other rules may still stop a run: Krum needs more SuperNodes than here).
    for choice in (question['choices'][0], question['choices'][-1]):
        good = run_playbook(tmp_path, playbook, {variable: choice})
        assert not re.search(refused % (re.escape(variable), re.escape(choice)), good.stdout), good.stdout[-2000:]
        assert good.returncode != 0
        assert failed_task(good.stdout) is not None
