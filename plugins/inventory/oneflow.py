# -*- coding: utf-8 -*-
# Copyright: opennebula.flower contributors
# Apache License 2.0 (see LICENSE or https://www.apache.org/licenses/LICENSE-2.0)

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

DOCUMENTATION = r'''
name: oneflow
short_description: The VMs of OpenNebula OneFlow services as inventory
version_added: 1.0.0
description:
  - Hosts are the VMs of one or more OneFlow services. Each VM is read from oned for its NICs and USER_TEMPLATE.
  - Groups are made per role (for example C(superlink), C(supernode)) and per service (C(service_<name>));
    every host is also in C(opennebula), which the local-federation plays leave out.
  - Host variables are C(ansible_host) (the IP on O(network), else the first NIC with an address), C(one_ips),
    C(one_nics), C(one_user_template) (for example C(FL_ENDPOINT)), C(one_vm_id), C(one_vm_name),
    C(one_vm_state), C(one_service_id), C(one_service_name) and C(one_role_name).
  - VMs without NICs and VMs whose single NIC comes back as a dict instead of a list are handled. Every value
    from the API is marked unsafe so it is never templated.
  - The configuration file name must end with C(.oneflow.yml) or C(.oneflow.yaml).
requirements:
  - pyone 7.3.x (oned's Python bindings) on the controller
extends_documentation_fragment:
  - constructed
  - inventory_cache
options:
  plugin:
    description: The name of this plugin.
    type: str
    required: true
    choices: [opennebula.flower.oneflow]
  api_url:
    description:
      - oned XML-RPC endpoint. Derived from O(oneflow_url) (port 2633, C(/RPC2)) when not set.
    type: str
    env:
      - name: ONE_URL
  api_username:
    description:
      - OpenNebula user. Falls back to the file named by E(ONE_AUTH) (default C(~/.one/one_auth)).
    type: str
    env:
      - name: ONE_USERNAME
      - name: ONEFLOW_USERNAME
  api_password:
    description:
      - Password or login token. Falls back to the E(ONE_AUTH) file.
    type: str
    env:
      - name: ONE_PASSWORD
      - name: ONEFLOW_PASSWORD
  oneflow_url:
    description:
      - OneFlow endpoint. Derived from O(api_url) (port 2474) when not set.
    type: str
    env:
      - name: ONEFLOW_URL
  validate_certs:
    description: Verify TLS certificates.
    type: bool
    default: true
    env:
      - name: ONE_VALIDATE_CERTS
  ca_path:
    description: PEM file with the CA certificates of oned and OneFlow.
    type: path
    env:
      - name: ONE_CA_PATH
  api_timeout:
    description: Timeout of each request, in seconds.
    type: int
    default: 30
  services:
    description:
      - Names or ids of the services to include. All services the user can see when empty.
    type: list
    elements: str
    default: []
  network:
    description:
      - Name of the network whose address becomes C(ansible_host). When not set or not found, the first NIC with
        an IPv4 (then IPv6) address is used.
    type: str
  hostname:
    description:
      - Inventory host name of each VM, its name (C(superlink_0_(service_5))) or its id.
    type: str
    choices: [name, id]
    default: name
  service_group_prefix:
    description: Prefix of the per-service group names.
    type: str
    default: service_
'''

EXAMPLES = r'''
# flower.oneflow.yml; credentials come from ONE_URL/ONEFLOW_URL/ONE_USERNAME/ONE_PASSWORD (e.g. an AWX credential)
plugin: opennebula.flower.oneflow
services:
  - flower-run-1
network: private
cache: true
cache_plugin: ansible.builtin.jsonfile
cache_connection: /tmp/oneflow-inventory
compose:
  flower_endpoint: one_user_template.FL_ENDPOINT | default(omit)
keyed_groups:
  - key: one_user_template.FL_ROLE | default('none')
    prefix: fl
'''

from ansible.errors import AnsibleError
from ansible.module_utils.basic import missing_required_lib
from ansible.plugins.inventory import BaseInventoryPlugin, Cacheable, Constructable
from ansible.utils.unsafe_proxy import wrap_var as make_unsafe

from ansible_collections.opennebula.flower.plugins.module_utils._http import APIError
from ansible_collections.opennebula.flower.plugins.module_utils._one_connection import ConfigError, OneConnection
from ansible_collections.opennebula.flower.plugins.module_utils._one_documents import nic_addresses
from ansible_collections.opennebula.flower.plugins.module_utils._one_errors import OneNoExistsError
from ansible_collections.opennebula.flower.plugins.module_utils._one_states import vm_state_name
from ansible_collections.opennebula.flower.plugins.module_utils._one_xmlrpc import PyoneMissingError
from ansible_collections.opennebula.flower.plugins.module_utils._onegate import decode_template
from ansible_collections.opennebula.flower.plugins.module_utils._oneflow import (
    body_of, doc_id, service_state, unwrap,
)

_OPTION_NAMES = ('api_url', 'api_username', 'api_password', 'oneflow_url', 'validate_certs', 'ca_path',
                 'api_timeout')


def select_host_address(nics, network=None):
    """The IP on ``network`` if given and present, else the first IPv4, else the first IPv6 address."""
    if network is not None:
        for nic in nics:
            if nic.get('NETWORK') == network and (nic.get('IP') or nic.get('IP6_GLOBAL')):
                return nic.get('IP') or nic.get('IP6_GLOBAL')
    for key in ('IP', 'IP6_GLOBAL', 'IP6_ULA', 'IP6'):
        for nic in nics:
            if nic.get(key):
                return nic[key]
    return None


def host_records(services, vms):
    """Flatten services and the VM documents read from oned into one record per VM."""
    records = []
    for doc in services:
        for role in body_of(doc).get('roles') or []:
            for node in role.get('nodes') or []:
                vm = vms.get(str(node.get('deploy_id')))
                if vm is None:
                    continue
                records.append({'service_id': doc_id(doc), 'service_name': unwrap(doc).get('NAME'),
                                'role_name': role.get('name'), 'vm': vm})
    return records


class InventoryModule(BaseInventoryPlugin, Constructable, Cacheable):

    NAME = 'opennebula.flower.oneflow'

    def verify_file(self, path):
        return super(InventoryModule, self).verify_file(path) and path.endswith(('.oneflow.yml', '.oneflow.yaml'))

    def _fetch(self):
        params = dict((name, self.get_option(name)) for name in _OPTION_NAMES)
        wanted = [str(s) for s in self.get_option('services') or []]
        try:
            conn = OneConnection(params)
            services = []
            for doc in conn.oneflow().list_services():
                doc = unwrap(doc)
                if service_state(doc) == 'DONE':
                    continue
                if wanted and doc.get('NAME') not in wanted and str(doc.get('ID')) not in wanted:
                    continue
                services.append(doc)
            vms = {}
            for doc in services:
                for role in body_of(doc).get('roles') or []:
                    for node in role.get('nodes') or []:
                        vm_id = node.get('deploy_id')
                        if vm_id is None or str(vm_id) in vms:
                            continue
                        try:
                            vms[str(vm_id)] = conn.xmlrpc().vm_info(int(vm_id))
                        except OneNoExistsError:
                            continue
        except (APIError, ConfigError) as exc:
            raise AnsibleError('opennebula.flower.oneflow: %s' % exc)
        except PyoneMissingError as exc:
            raise AnsibleError('opennebula.flower.oneflow: %s' % missing_required_lib('pyone'), orig_exc=exc)
        return {'services': services, 'vms': vms}

    def parse(self, inventory, loader, path, cache=True):
        super(InventoryModule, self).parse(inventory, loader, path, cache)
        self._read_config_data(path)
        cache_key = self.get_cache_key(path)
        use_cache = self.get_option('cache') and cache
        update_cache = self.get_option('cache') and not cache
        data = None
        if use_cache:
            try:
                data = self._cache[cache_key]
            except KeyError:
                update_cache = True
        if data is None:
            data = self._fetch()
        if update_cache:
            self._cache[cache_key] = data
        self._populate(data)

    def _populate(self, data):
        strict = self.get_option('strict')
        network = self.get_option('network')
        prefix = self.get_option('service_group_prefix')
        for record in host_records(data['services'], data['vms']):
            vm = record['vm']
            host = str(vm.get('ID')) if self.get_option('hostname') == 'id' else vm.get('NAME')
            nics = nic_addresses(vm)
            user_template = decode_template(vm.get('USER_TEMPLATE') if isinstance(vm.get('USER_TEMPLATE'), dict) else {})
            hostvars = {
                'one_vm_id': int(vm['ID']),
                'one_vm_name': vm.get('NAME'),
                'one_vm_state': vm_state_name(vm),
                'one_service_id': record['service_id'],
                'one_service_name': record['service_name'],
                'one_role_name': record['role_name'],
                'one_nics': nics,
                'one_ips': [n[k] for n in nics for k in ('IP', 'IP6_GLOBAL', 'IP6_ULA', 'IP6') if n.get(k)],
                'one_user_template': user_template,
            }
            address = select_host_address(nics, network)
            if address is not None:
                hostvars['ansible_host'] = address
            hostvars = make_unsafe(hostvars)
            self.inventory.add_host(host)
            for group in (record['role_name'], prefix + str(record['service_name']), 'opennebula'):
                group = self.inventory.add_group(self._sanitize_group_name(group))
                self.inventory.add_child(group, host)
            for key, value in hostvars.items():
                self.inventory.set_variable(host, key, value)
            self._set_composite_vars(self.get_option('compose'), hostvars, host, strict=strict)
            self._add_host_to_composed_groups(self.get_option('groups'), hostvars, host, strict=strict)
            self._add_host_to_keyed_groups(self.get_option('keyed_groups'), hostvars, host, strict=strict)
