# -*- coding: utf-8 -*-
# Copyright: opennebula.flower contributors
# Apache License 2.0 (see LICENSE or https://www.apache.org/licenses/LICENSE-2.0)
"""playbooks/awx_bootstrap.yml run with every awx.awx module replaced by a recorder: what it would send to AWX.
The credential types arrive as their files say (injector templates untouched, for AWX to render), one job template
per entry of extensions/awx/job_templates.yml with the survey the awx_survey_spec filter makes, and the workflow
chained in order."""

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

import json
import os
import shutil

import pytest
import yaml

from ansible_collections.opennebula.flower.plugins.module_utils._training import DP_MODES, STRATEGIES, USE_CASES
from tests.integration.awx.awx_injectors import CREDENTIAL_TYPES, credential_type
from tests.integration.awx.conftest import ROOT, definitions, run, tool

HERE = os.path.dirname(os.path.abspath(__file__))


def bootstrap_modules():
    with open(os.path.join(ROOT, 'playbooks', 'awx_bootstrap.yml')) as handle:
        tasks = yaml.safe_load(handle)[0]['tasks']
    return sorted(set(name.split('.')[-1] for task in tasks for name in task if name.startswith('awx.awx.')))


@pytest.fixture(scope='module')
def sent(tmp_path_factory):
    """(module, args) of every awx.awx call of the bootstrap, in order."""
    tmp = tmp_path_factory.mktemp('awx')
    action = tmp / 'ansible_collections' / 'awx' / 'awx' / 'plugins' / 'action'
    action.mkdir(parents=True)
    (tmp / 'ansible_collections' / 'awx' / 'awx' / 'MANIFEST.json').write_text(json.dumps(
        {'collection_info': {'namespace': 'awx', 'name': 'awx', 'version': '0.0.0'}, 'file_manifest_file': {}}))
    for module in bootstrap_modules():
        shutil.copy(os.path.join(HERE, 'recording_action.py'), str(action / (module + '.py')))
    record = tmp / 'record.jsonl'
    env = dict(os.environ, AWX_RECORD=str(record), ANSIBLE_CONFIG=os.path.join(ROOT, 'ansible.cfg'),
               ANSIBLE_COLLECTIONS_PATH='%s:%s' % (tmp, ROOT), ANSIBLE_COLLECTIONS_SCAN_SYS_PATH='false',
               ANSIBLE_NOCOLOR='1')
    run([tool('ansible-playbook'), '-i', 'localhost,', os.path.join(ROOT, 'playbooks', 'awx_bootstrap.yml'),
         '-e', json.dumps({'flower_awx_credentials': {'opennebula': 'one-frontend'},
                           'flower_awx_scm_url': 'https://git.example.org/flower.git'})], env=env)
    with open(str(record)) as handle:
        return [json.loads(line) for line in handle]


def calls(sent, module):
    return [entry['args'] for entry in sent if entry['module'].split('.')[-1] == module]


def test_credential_types_are_sent_as_their_files(sent):
    files = [credential_type(os.path.splitext(name)[0]) for name in os.listdir(CREDENTIAL_TYPES)]
    assert sorted(calls(sent, 'credential_type'), key=lambda c: c['name']) == sorted(files, key=lambda c: c['name'])


def test_project_and_oneflow_inventory_source(sent):
    (project,) = calls(sent, 'project')
    assert project['scm_url'] == 'https://git.example.org/flower.git'
    (source,) = calls(sent, 'inventory_source')
    assert source['source'] == 'scm' and source['source_project'] == project['name']
    with open(os.path.join(ROOT, source['source_path'])) as handle:
        assert yaml.safe_load(handle)['plugin'] == 'opennebula.flower.oneflow'
    assert source['credential'] == 'one-frontend' and source['update_on_launch'] is True


def test_one_job_template_per_entry_with_its_survey(sent):
    templates = calls(sent, 'job_template')
    entries = definitions()['job_templates']
    assert [t['name'] for t in templates] == [e['name'] for e in entries]
    for template, entry in zip(templates, entries):
        assert template['playbook'] == entry['playbook']
        assert template['survey_enabled'] is bool(entry.get('survey'))
        assert [q['variable'] for q in template['survey_spec']['spec']] == [q['variable'] for q in entry['survey']]
        # Only the credentials named for the types the entry needs; the rest are asked for at launch.
        assert template['credentials'] == (['one-frontend'] if 'opennebula' in entry['credentials'] else [])


def test_survey_choices_are_the_collections(sent):
    tables = {'flower_train_strategy': list(STRATEGIES), 'flower_train_dp': list(DP_MODES),
              'flower_train_use_case': list(USE_CASES)}
    seen = set()
    for template in calls(sent, 'job_template'):
        for question in template['survey_spec']['spec']:
            if 'choices' in question:
                assert question['type'] == 'multiplechoice'
                assert question['choices'] == tables[question['variable']], (template['name'], question['variable'])
                assert question.get('default', question['choices'][0]) in question['choices']
                seen.add(question['variable'])
    assert seen == set(tables)


def test_survey_defaults_are_the_playbooks(sent):
    deploy = [t for t in calls(sent, 'job_template') if t['name'] == 'Flower deploy'][0]
    with open(os.path.join(ROOT, deploy['playbook'])) as handle:
        play_vars = yaml.safe_load(handle)[0]['vars']
    defaults = dict((q['variable'], q['default']) for q in deploy['survey_spec']['spec'])
    assert defaults == {'flower_register_prefix': play_vars['flower_register_prefix'],
                        'flower_deploy_supernodes': play_vars['flower_deploy_supernodes']}


def test_workflow_chains_its_nodes_in_order(sent):
    workflow = definitions()['workflow']
    (created,) = calls(sent, 'workflow_job_template')
    assert created['name'] == workflow['name']
    nodes = dict((n['identifier'], n) for n in calls(sent, 'workflow_job_template_node'))
    assert set(nodes) == set(workflow['nodes'])
    names = [t['name'] for t in calls(sent, 'job_template')]
    for current, following in zip(workflow['nodes'], workflow['nodes'][1:] + [None]):
        assert current in names and nodes[current]['unified_job_template'] == current
        assert nodes[current]['success_nodes'] == ([following] if following else [])
