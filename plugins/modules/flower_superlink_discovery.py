#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: opennebula.flower contributors
# Apache License 2.0 (see LICENSE or https://www.apache.org/licenses/LICENSE-2.0)

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

DOCUMENTATION = r'''
---
module: flower_superlink_discovery
short_description: Find the SuperLink of this VM's OneFlow service through OneGate
version_added: 1.0.0
description:
  - Runs inside a SuperNode VM of a OneFlow service. Polls C(GET /service?extended=true) with bounded backoff
    until a VM of the SuperLink role has published C(FL_READY=YES), then returns its endpoint, CA certificate,
    Flower version and TLS setting, and this node's data partition.
  - Fails at once when the SuperLink published C(FL_READY=NO) with C(FL_ERROR), or when its Flower major.minor
    differs from O(flower_version) (Flower requires matching versions).
  - The partition is the node's index in its role (C(<role>_<index>_(service_<id>)), never reused by OneFlow)
    out of O(num_partitions) (set it to the role's C(max_vms), which OneGate does not show, so that scaling the
    role moves no partition), or else the role's cardinality now.
extends_documentation_fragment:
  - opennebula.flower._opennebula.onegate
options:
  superlink_role:
    description: Name of the service role that runs the SuperLink.
    type: str
    default: superlink
  flower_version:
    description: This node's Flower release; the SuperLink's must have the same major.minor.
    type: str
    required: true
  timeout:
    description: Seconds to wait for the SuperLink.
    type: int
    default: 900
  backoff:
    description:
      - V(exponential) waits 1, 2, 4, ... seconds up to O(max_backoff) between attempts; V(fixed) always O(max_backoff).
      - The backoff applies while the SuperLink role has no VM. A SuperLink VM that has not published C(FL_READY) yet
        is booting (OneFlow deploys the roles together), so it is asked every 2 s (or O(max_backoff) if shorter);
        once it is ready, every second until it lists this node in C(FL_ENROLLED) (O(wait_enrolled)).
    type: str
    choices: [exponential, fixed]
    default: exponential
  max_backoff:
    description: Longest wait between two attempts, in seconds.
    type: int
    default: 60
  num_partitions:
    description: Number of data partitions; 0 means the role's cardinality now.
    type: int
    default: 0
  wait_enrolled:
    description:
      - When the SuperLink authenticates SuperNodes (C(FL_AUTH=YES)), also wait until it lists this VM in
        C(FL_ENROLLED), that is until this node's published key is registered.
    type: bool
    default: false
attributes:
  check_mode:
    support: full
    description: Only reads.
  diff_mode:
    support: none
    description: Nothing to show.
  idempotent:
    support: full
    description: Only reads.
requirements:
  - python >= 3.8
author:
  - opennebula.flower contributors (@OpenNebula)
'''

EXAMPLES = r'''
- name: Wait for the SuperLink of this service
  opennebula.flower.flower_superlink_discovery:
    flower_version: "{{ supernode_flower_version }}"
    timeout: 600
  register: discovered

- name: Point the SuperNode at it
  ansible.builtin.set_fact:
    supernode_superlink_address: "{{ discovered.endpoint }}"
    supernode_superlink_ca_cert: "{{ discovered.ca_cert }}"
'''

RETURN = r'''
endpoint:
  description: The SuperLink's Fleet API, host:port.
  type: str
  returned: success
  sample: 198.18.6.10:9092
ca_cert:
  description: The CA certificate (PEM) the SuperLink published; empty without TLS.
  type: str
  returned: success
flower_version:
  description: The SuperLink's Flower release.
  type: str
  returned: success
  sample: 1.42.0
tls:
  description: Whether the SuperLink serves TLS.
  type: bool
  returned: success
auth:
  description: Whether the SuperLink authenticates SuperNodes.
  type: bool
  returned: success
superlink_vm_id:
  description: The SuperLink VM's id.
  type: int
  returned: success
partition_id:
  description: This node's partition.
  type: int
  returned: success
  sample: 1
num_partitions:
  description: The number of partitions.
  type: int
  returned: success
  sample: 4
attempts:
  description: OneGate requests it took.
  type: int
  returned: success
'''

from ansible_collections.opennebula.flower.plugins.module_utils._appliance_discovery import (
    DiscoveryError, DiscoveryTimeout, enrolled, node_partition, wait_for_superlink)
from ansible_collections.opennebula.flower.plugins.module_utils._flower_layouts import same_minor
from ansible_collections.opennebula.flower.plugins.module_utils._one_module import OpenNebulaModule
from ansible_collections.opennebula.flower.plugins.module_utils._onegate_connection import ONEGATE


class SuperLinkDiscoveryModule(OpenNebulaModule):
    connection = ONEGATE
    fails_with = (DiscoveryError, DiscoveryTimeout)

    def options(self):
        return dict(
            superlink_role=dict(type='str', default='superlink'),
            flower_version=dict(type='str', required=True),
            timeout=dict(type='int', default=900),
            backoff=dict(type='str', choices=['exponential', 'fixed'], default='exponential'),
            max_backoff=dict(type='int', default=60),
            num_partitions=dict(type='int', default=0),
            wait_enrolled=dict(type='bool', default=False),
        )

    def action(self):
        return 'OneGate service lookup'

    def run(self, client):
        p = self.params

        def get_service():
            return client.get_service(extended=True)

        wait = dict(role_name=p['superlink_role'], timeout=p['timeout'], backoff=p['backoff'],
                    max_backoff=max(1, p['max_backoff']))
        state, doc, attempts = wait_for_superlink(get_service, **wait)
        if state['flower_version'] and not same_minor(state['flower_version'], p['flower_version']):
            self.module.fail_json(msg='the SuperLink runs Flower %s and this SuperNode %s; Flower needs the same '
                                      'major.minor on both (set ONEAPP_FLOWER_VERSION)'
                                      % (state['flower_version'], p['flower_version']))
        if p['wait_enrolled']:
            state, doc, more = wait_for_superlink(get_service, accept=enrolled(client.vmid), **wait)
            attempts += more
        partition_id, num_partitions = node_partition(doc, client.vmid, p['num_partitions'])
        return dict(changed=False, endpoint=state['endpoint'], ca_cert=state['ca_cert'],
                    flower_version=state['flower_version'], tls=state['tls'], auth=state['auth'],
                    superlink_vm_id=state['vm_id'], partition_id=partition_id, num_partitions=num_partitions,
                    attempts=attempts)


def main():
    SuperLinkDiscoveryModule().execute()


if __name__ == '__main__':
    main()
