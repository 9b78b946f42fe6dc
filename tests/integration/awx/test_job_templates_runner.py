# -*- coding: utf-8 -*-
# Copyright: opennebula.flower contributors
# Apache License 2.0 (see LICENSE or https://www.apache.org/licenses/LICENSE-2.0)
"""The register, deploy and destroy job templates run as AWX runs them: ansible-runner with a private data dir, the
project checkout as the working directory, the survey's defaults as extra variables, the OpenNebula credential's
injected environment and the oneflow inventory source, against the OpenNebula simulator."""

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

import json
import os
import subprocess

import ansible_runner
import pytest

from ansible_collections.opennebula.flower.plugins.module_utils._awx_survey import survey_spec
from ansible_collections.opennebula.flower.plugins.module_utils._one_documents import find_by_name
from ansible_collections.opennebula.flower.plugins.module_utils._one_xmlrpc import OneXMLRPCClient
from tests.integration.awx.awx_injectors import credential_type, render
from tests.integration.awx.conftest import BIN, ROOT, definitions, tool
from tests.integration.awx.test_job_templates import play_vars
from tests.integration.opennebula.conftest import clean_env, clock_running, sim  # noqa: F401 pylint: disable=unused-import

# The file the bootstrap's inventory source reads from the project (with its group_vars beside it, as AWX loads them).
INVENTORY_SOURCE = play_vars('playbooks/awx_bootstrap.yml')['flower_awx_inventory_file']


def template(name):
    return [entry for entry in definitions()['job_templates'] if entry['name'] == name][0]


def survey_defaults(entry):
    spec = survey_spec(entry, play_vars(entry['playbook']))
    return dict((question['variable'], question['default']) for question in spec['spec'] if 'default' in question)


def credential_env(simulator, tmp_path):
    inputs = {'api_url': simulator.xmlrpc_url, 'oneflow_url': simulator.oneflow_url, 'username': simulator.username,
              'password': simulator.password, 'validate_certs': False}
    env, extra_vars, _files = render(credential_type('opennebula'), inputs, str(tmp_path / 'credential'))
    assert extra_vars == {}
    return env


def launch(entry, env, tmp_path):
    """One job of the template: ansible-runner as AWX calls it."""
    private = tmp_path / entry['name'].replace(' ', '-')
    private.mkdir()
    runner = ansible_runner.run(
        private_data_dir=str(private), project_dir=ROOT, playbook=entry['playbook'],
        inventory=os.path.join(ROOT, INVENTORY_SOURCE), extravars=survey_defaults(entry),
        envvars=dict(env, PATH=BIN + os.pathsep + os.environ['PATH'], ANSIBLE_NOCOLOR='1'), quiet=True, timeout=300)
    assert (runner.status, runner.rc) == ('successful', 0), runner.stdout.read()[-3000:]
    return runner


def services(simulator, name):
    return [doc for doc in simulator.state.pools['document'].values() if doc.name == name]


@pytest.fixture
def ticking(sim):  # noqa: F811
    with clock_running(sim):
        yield sim


def test_register_deploy_destroy_job_templates_against_the_simulator(ticking, clean_env, tmp_path):  # noqa: F811
    cloud = ticking
    env = credential_env(cloud, tmp_path)
    client = OneXMLRPCClient(cloud.xmlrpc_url, cloud.username, cloud.password)

    register = template('Flower register')
    prefix = survey_defaults(register)['flower_register_prefix']
    # The appliance images are in OpenNebula already (marketplace, or `make images` uploaded them): register.yml
    # uploads only files named in flower_register_image_paths, which an AWX execution node does not hold.
    for role in ('superlink', 'supernode'):
        client.image_allocate({'NAME': '%s-%s' % (prefix, role), 'TYPE': 'OS', 'SIZE': '2048'},
                              play_vars(register['playbook'])['flower_register_datastore_id'])
    launch(register, env, tmp_path)
    for role in ('superlink', 'supernode'):
        assert find_by_name(client.template_pool(), '%s-%s' % (prefix, role)) is not None
    assert services(cloud, '%s-federation' % prefix)

    deploy = template('Flower deploy')
    launch(deploy, env, tmp_path)
    name = '%s-federation-1' % survey_defaults(deploy)['flower_register_prefix']
    (service,) = services(cloud, name)
    body = cloud.service(service.id)
    assert body['state'] == 2  # RUNNING
    nodes = dict((role['name'], len(role['nodes'])) for role in body['roles'])
    assert nodes == {'superlink': 1, 'supernode': survey_defaults(deploy)['flower_deploy_supernodes']}

    # The inventory source, synced with the same credential, now holds the service's VMs by role.
    listed = subprocess.run([tool('ansible-inventory'), '-i', INVENTORY_SOURCE, '--list'], cwd=ROOT,
                            env=dict(os.environ, ANSIBLE_CONFIG=os.path.join(ROOT, 'ansible.cfg'), **env),
                            capture_output=True, text=True, timeout=120, check=True)
    groups = json.loads(listed.stdout)
    assert len(groups['superlink']['hosts']) == 1 and len(groups['supernode']['hosts']) == nodes['supernode']

    launch(template('Flower destroy'), env, tmp_path)
    assert services(cloud, name) == []
    # The survey does not offer flower_destroy_templates: the registered templates stay for the next deploy.
    assert find_by_name(client.template_pool(), '%s-supernode' % prefix) is not None
