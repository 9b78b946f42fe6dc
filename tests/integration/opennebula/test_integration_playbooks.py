# -*- coding: utf-8 -*-
# Copyright: opennebula.flower contributors
# Apache License 2.0 (see LICENSE or https://www.apache.org/licenses/LICENSE-2.0)
"""register.yml, deploy.yml and destroy.yml run by ansible-playbook against the simulator (its VMs report READY by
themselves here; tests/appliance boots real appliances instead)."""

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

import json
import os
import shutil
import subprocess
import sys

import pytest

from ansible_collections.opennebula.flower.plugins.module_utils._appliance_schema import user_inputs
from ansible_collections.opennebula.flower.plugins.module_utils._one_documents import find_by_name
from ansible_collections.opennebula.flower.plugins.module_utils._one_xmlrpc import OneXMLRPCClient
from tests.integration.opennebula.conftest import clock_running
from tests.opennebula_sim import Simulator

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), '..', '..', '..'))


@pytest.fixture
def cloud(tmp_path):
    sim = Simulator().start()
    with clock_running(sim):
        yield sim
    sim.stop()


def playbook(sim, name, extra):
    env = dict(os.environ, ONE_URL=sim.xmlrpc_url, ONEFLOW_URL=sim.oneflow_url, ONE_USERNAME=sim.username,
               ONE_PASSWORD=sim.password, ANSIBLE_CONFIG=os.path.join(ROOT, 'ansible.cfg'), ANSIBLE_NOCOLOR='1')
    binary = os.path.join(os.path.dirname(sys.executable), 'ansible-playbook')
    extra = dict(extra, ansible_python_interpreter=sys.executable)
    return subprocess.run([binary, '-i', 'localhost,', os.path.join(ROOT, 'playbooks', name), '-e', json.dumps(extra)],
                          cwd=ROOT, env=env, capture_output=True, text=True, timeout=600, check=False)


def test_register_deploy_destroy(cloud, tmp_path):
    paths = {}
    for role in ('superlink', 'supernode'):
        paths[role] = str(tmp_path / ('%s.qcow2' % role))
        with open(paths[role], 'wb') as handle:
            handle.write(b'QFI\xfb' + b'\0' * 508)
    registered = playbook(cloud, 'register.yml', {'flower_register_image_paths': paths,
                                                  'flower_register_supernode_max_vms': 6})
    assert registered.returncode == 0, registered.stdout[-3000:]
    again = playbook(cloud, 'register.yml', {'flower_register_image_paths': paths,
                                             'flower_register_supernode_max_vms': 6})
    assert again.returncode == 0 and 'changed=0' in again.stdout, again.stdout[-3000:]

    client = OneXMLRPCClient(cloud.xmlrpc_url, cloud.username, cloud.password)
    template = client.template_info(int(find_by_name(client.template_pool(), 'flower-supernode')['ID']))['TEMPLATE']
    assert template['USER_INPUTS'] == user_inputs('supernode')
    assert template['CONTEXT']['ONEAPP_FL_NODE_CONFIG'] == '$ONEAPP_FL_NODE_CONFIG'
    assert (template['CONTEXT']['TOKEN'], template['CONTEXT']['REPORT_READY']) == ('YES', 'YES')

    deployed = playbook(cloud, 'deploy.yml', {'flower_deploy_supernodes': 3})
    assert deployed.returncode == 0, deployed.stdout[-3000:]
    services = [d for d in cloud.state.pools['document'].values() if d.name == 'flower-federation-1']
    body = cloud.service(services[0].id)
    assert body['state'] == 2
    roles = dict((r['name'], r) for r in body['roles'])
    assert len(roles['supernode']['nodes']) == 3 and not roles['supernode'].get('parents')
    assert body['deployment'] == 'none'
    vm = cloud.vm(roles['supernode']['nodes'][0]['deploy_id'])
    context = vm.template.get('CONTEXT')
    assert context['ONEAPP_FL_NUM_PARTITIONS'] == '6' and context['ONEAPP_FL_EDGE_BACKOFF'] == ''

    destroyed = playbook(cloud, 'destroy.yml', {'flower_destroy_templates': True})
    assert destroyed.returncode == 0, destroyed.stdout[-3000:]
    assert find_by_name(client.template_pool(), 'flower-supernode') is None


def test_site_yml_with_an_opennebula_inventory_registers_and_deploys(cloud, tmp_path):
    inventory = tmp_path / 'inventory'
    shutil.copytree(os.path.join(ROOT, 'inventories', 'opennebula'), str(inventory))
    paths = {}
    for role in ('superlink', 'supernode'):
        paths[role] = str(tmp_path / ('%s.qcow2' % role))
        with open(paths[role], 'wb') as handle:
            handle.write(b'QFI\xfb' + b'\0' * 508)
    env = dict(os.environ, ONE_URL=cloud.xmlrpc_url, ONEFLOW_URL=cloud.oneflow_url, ONE_USERNAME=cloud.username,
               ONE_PASSWORD=cloud.password, ANSIBLE_CONFIG=os.path.join(ROOT, 'ansible.cfg'), ANSIBLE_NOCOLOR='1')
    binary = os.path.join(os.path.dirname(sys.executable), 'ansible-playbook')
    extra = {'flower_register_image_paths': paths, 'ansible_python_interpreter': sys.executable}
    # Training runs over SSH on the SuperLink VM, which the simulator does not have: tests/appliance covers it.
    proc = subprocess.run([binary, '-i', str(inventory), os.path.join(ROOT, 'site.yml'), '--skip-tags', 'train',
                           '-e', json.dumps(extra)], cwd=ROOT, env=env, capture_output=True, text=True, timeout=900,
                          check=False)
    assert proc.returncode == 0, proc.stdout[-4000:]
    services = [d for d in cloud.state.pools['document'].values() if d.name == 'flower-federation-1']
    assert cloud.service(services[0].id)['state'] == 2
    # The appliances configure themselves: the local plays match none of the service's VMs.
    assert proc.stdout.count('skipping: no hosts matched') >= 2
    assert 'Deploy the Flower SuperLink' in proc.stdout and 'opennebula.flower.superlink :' not in proc.stdout
