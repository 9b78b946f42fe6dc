# -*- coding: utf-8 -*-
# Copyright: opennebula.flower contributors
# Apache License 2.0 (see LICENSE or https://www.apache.org/licenses/LICENSE-2.0)
"""The opennebula.flower.oneflow inventory plugin against the simulator, loaded through Ansible's plugin loader.

Ansible's controller-side packages (ansible.errors, ansible.plugins.loader, ...) are imported inside the tests, not
at collection time: once they are loaded, module warnings stop appearing in module results in this process, and
module tests collected elsewhere assert on those warnings.
"""

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

import os
import sys

import pytest

from ansible_collections.opennebula.flower.plugins.module_utils._one_xmlrpc import OneXMLRPCClient
from ansible_collections.opennebula.flower.plugins.modules import oneflow_service, oneflow_template
from tests.integration.opennebula.conftest import FAST_POLL, sim_args
from tests.integration.opennebula.helpers import flower_template, vm_template

REPO = os.path.abspath(os.path.join(os.path.dirname(__file__), '..', '..', '..'))


@pytest.fixture(scope='module')
def plugin_loader():
    """Load the plugin the way ansible-inventory does, through Ansible's collection loader.

    The tests import the collection as plain namespace packages first (PYTHONPATH), which the collection loader
    refuses to take over; hide those package entries (not the modules inside them, so classes keep their
    identity) while the loader is installed, then put them back.
    """
    packages = [name for name, module in sys.modules.items()
                if name.startswith('ansible_collections') and hasattr(module, '__path__')]
    hidden = dict((name, sys.modules.pop(name)) for name in packages)
    saved_path = list(sys.path)
    sys.path[:] = list(dict.fromkeys(sys.path))
    from ansible.plugins.loader import init_plugin_loader
    init_plugin_loader([REPO])
    yield
    sys.path[:] = saved_path
    for name in [n for n, m in sys.modules.items() if n.startswith('ansible_collections') and hasattr(m, '__path__')]:
        del sys.modules[name]
    sys.modules.update(hidden)


def _deploy(sim, run_module, name, with_nic=True):
    args = sim_args(sim)
    client = OneXMLRPCClient(sim.xmlrpc_url, sim.username, sim.password)
    tid = vm_template(client, 'node-nic' if with_nic else 'node-bare', with_nic=with_nic)
    template = run_module(oneflow_template, dict(args, name='tpl-' + name, template=flower_template(tid)))
    result = run_module(oneflow_service, dict(args, name=name, template_id=template['id'],
                                              user_inputs_values={'FL_NUM_ROUNDS': 1}, **FAST_POLL))
    assert result['service']['state'] == 'RUNNING', result
    return result


def _parse(tmp_path, config, cache=True):
    from ansible.inventory.data import InventoryData
    from ansible.parsing.dataloader import DataLoader
    from ansible.plugins.loader import inventory_loader
    path = tmp_path / 'flower.oneflow.yml'
    path.write_text(config)
    plugin = inventory_loader.get('opennebula.flower.oneflow')
    inventory = InventoryData()
    plugin.parse(inventory, DataLoader(), str(path), cache=cache)
    if plugin.get_option('cache'):
        plugin.update_cache_if_changed()  # what InventoryManager does after parse()
    return inventory


@pytest.fixture
def env(sim, monkeypatch):
    """Credentials the way an AWX credential type injects them."""
    monkeypatch.setenv('ONE_URL', sim.xmlrpc_url)
    monkeypatch.setenv('ONEFLOW_URL', sim.oneflow_url)
    monkeypatch.setenv('ONE_USERNAME', sim.username)
    monkeypatch.setenv('ONE_PASSWORD', sim.password)
    monkeypatch.delenv('ONE_AUTH', raising=False)


def test_verify_file(plugin_loader, tmp_path):
    from ansible.plugins.loader import inventory_loader
    plugin = inventory_loader.get('opennebula.flower.oneflow')
    for name, ok in (('a.oneflow.yml', True), ('a.oneflow.yaml', True), ('a.yml', False), ('oneflow.yml', False)):
        path = tmp_path / name
        path.write_text('plugin: opennebula.flower.oneflow\n')
        assert plugin.verify_file(str(path)) is ok, name


def test_hosts_groups_and_vars(plugin_loader, sim, env, run_module, tmp_path):
    deployed = _deploy(sim, run_module, 'fl-run')
    inventory = _parse(tmp_path, '''plugin: opennebula.flower.oneflow
network: fl-net
compose:
  fl_role_var: one_user_template.ROLE_NAME
keyed_groups:
  - key: one_vm_state
    prefix: state
''')
    groups = inventory.groups
    superlinks = [h.name for h in groups['superlink'].get_hosts()]
    supernodes = sorted(h.name for h in groups['supernode'].get_hosts())
    assert superlinks == ['superlink_0_(service_%d)' % deployed['service_id']]
    assert len(supernodes) == 2
    assert sorted(h.name for h in groups['service_fl_run'].get_hosts()) == sorted(superlinks + supernodes)
    assert 'state_ACTIVE_RUNNING' in groups

    host = inventory.get_host(superlinks[0])
    hostvars = host.get_vars()
    vm = dict((r['name'], r) for r in deployed['service']['roles'])['superlink']['vms'][0]
    assert hostvars['ansible_host'] == vm['ips'][0]
    assert hostvars['one_vm_id'] == vm['id'] and hostvars['one_role_name'] == 'superlink'
    assert hostvars['one_service_name'] == 'fl-run' and hostvars['one_service_id'] == deployed['service_id']
    assert hostvars['one_user_template']['READY'] == 'YES'
    assert len(hostvars['one_nics']) == 1 and hostvars['one_nics'][0]['NETWORK'] == 'fl-net'  # a single NIC dict
    assert hostvars['fl_role_var'] == 'superlink'


def test_values_are_unsafe(plugin_loader, sim, env, run_module, tmp_path):
    from ansible.parsing.dataloader import DataLoader
    from ansible.template import Templar
    deployed = _deploy(sim, run_module, 'fl-run')
    vm_id = dict((r['name'], r) for r in deployed['service']['roles'])['superlink']['vms'][0]['id']
    client = OneXMLRPCClient(sim.xmlrpc_url, sim.username, sim.password)
    client.call('vm.update', vm_id, 'EVIL="{{ 7 * 7 }}"', 1)
    inventory = _parse(tmp_path, 'plugin: opennebula.flower.oneflow\nhostname: id\n')
    value = inventory.get_host(str(vm_id)).get_vars()['one_user_template']['EVIL']
    assert Templar(loader=DataLoader()).template(value) == '{{ 7 * 7 }}'


def test_make_unsafe_strips_template_trust():
    from ansible.template import is_trusted_as_template, trust_as_template
    from ansible_collections.opennebula.flower.plugins.inventory.oneflow import make_unsafe
    wrapped = make_unsafe({'a': [trust_as_template('{{ 7 * 7 }}')]})
    assert not is_trusted_as_template(wrapped['a'][0])


def test_vm_without_nic(plugin_loader, sim, env, run_module, tmp_path):
    _deploy(sim, run_module, 'bare', with_nic=False)
    inventory = _parse(tmp_path, 'plugin: opennebula.flower.oneflow\nservices: [bare]\n')
    hosts = inventory.groups['superlink'].get_hosts()
    assert len(hosts) == 1
    hostvars = hosts[0].get_vars()
    assert 'ansible_host' not in hostvars and hostvars['one_nics'] == [] and hostvars['one_ips'] == []


def test_services_filter(plugin_loader, sim, env, run_module, tmp_path):
    _deploy(sim, run_module, 'one')
    _deploy(sim, run_module, 'two')
    inventory = _parse(tmp_path, 'plugin: opennebula.flower.oneflow\nservices: [two]\n')
    assert 'service_two' in inventory.groups and 'service_one' not in inventory.groups
    assert len(inventory.hosts) == 3


def test_cache_is_used(plugin_loader, sim, env, run_module, tmp_path):
    _deploy(sim, run_module, 'cached')
    config = '''plugin: opennebula.flower.oneflow
cache: true
cache_plugin: ansible.builtin.jsonfile
cache_connection: %s
''' % (tmp_path / 'cache')
    first = _parse(tmp_path, config, cache=False)  # refresh: fetch and write the cache
    assert len(first.hosts) == 3
    run_module(oneflow_service, dict(sim_args(sim), name='cached', state='absent', **FAST_POLL))
    cached = _parse(tmp_path, config, cache=True)
    assert sorted(cached.hosts) == sorted(first.hosts)
    fresh = _parse(tmp_path, config, cache=False)
    assert len(fresh.hosts) == 0


def test_bad_credentials_raise(plugin_loader, sim, env, monkeypatch, tmp_path):
    from ansible.errors import AnsibleError
    monkeypatch.setenv('ONE_PASSWORD', 'wrong')
    with pytest.raises(AnsibleError) as info:
        _parse(tmp_path, 'plugin: opennebula.flower.oneflow\n')
    assert 'Invalid credentials' in str(info.value)
