#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: opennebula.flower contributors
# Apache License 2.0 (see LICENSE or https://www.apache.org/licenses/LICENSE-2.0)

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

DOCUMENTATION = r'''
---
module: flower_service_registrations
short_description: Register the SuperNode keys of this VM's OneFlow service with its SuperLink
version_added: 1.0.0
description:
  - Runs on a SuperLink VM of a OneFlow service. Reads C(GET /service?extended=true) through OneGate, registers
    the public key (C(FL_NODE_PUBKEY)) of every live VM of the SuperNode role with the SuperLink, and
    unregisters the keys of VMs that left the role or changed their key.
  - Only VMs of this service count, so a machine outside it cannot get a key registered.
  - Keeps the public key of each registered VM in O(enrollment_file) so that keys of VMs that are gone can be
    unregistered.
  - Flower never accepts an unregistered key again; a VM that comes back must publish a new key.
  - A SuperLink VM outside any OneFlow service has no SuperNodes to register; the module then changes nothing and
    returns RV(in_service=false) (its operator registers keys with M(opennebula.flower.flower_supernode_registration)).
  - The appliance's enrollment service does the same continuously and publishes RV(enrolled) as C(FL_ENROLLED).
  - Formerly C(opennebula.flower.flower_enrollment), which still redirects here until 2.0.0.
extends_documentation_fragment:
  - opennebula.flower._flower_superlink
  - opennebula.flower._opennebula.onegate
options:
  supernode_role:
    description: Name of the service role that runs the SuperNodes.
    type: str
    default: supernode
  registry:
    description: The registration registry file (see M(opennebula.flower.flower_supernode_registration)).
    type: path
    required: true
  enrollment_file:
    description:
      - JSON file of the keys registered, by VM id (the appliance's enrollment service keeps this record as
        C(enrolled.json) in the SuperLink's home).
    type: path
    required: true
attributes:
  check_mode:
    support: full
    description: Predicts exactly which keys would be registered and unregistered.
  diff_mode:
    support: full
    description: The registered VM ids before and after.
  idempotent:
    support: full
    description: Keys already registered are left alone.
requirements:
  - python >= 3.8
author:
  - opennebula.flower contributors (@OpenNebula)
'''

EXAMPLES = r'''
- name: Register the SuperNode keys of this service
  opennebula.flower.flower_service_registrations:
    superlink: 127.0.0.1:9095
    root_certificates: /var/lib/flower/superlink/tls/ca.crt
    flwr: /opt/flower/venv/bin/flwr
    registry: /var/lib/flower/superlink/registry.json
    enrollment_file: /var/lib/flower/superlink/enrolled.json
'''

RETURN = r'''
in_service:
  description: Whether this VM belongs to a OneFlow service.
  type: bool
  returned: success
added:
  description: VM ids whose keys were registered.
  type: list
  elements: str
  returned: success
  sample: ["14"]
removed:
  description: VM ids whose keys were unregistered.
  type: list
  elements: str
  returned: success
enrolled:
  description: VM ids whose keys are registered after the change (what the appliance publishes as C(FL_ENROLLED)).
  type: list
  elements: str
  returned: success
  sample: ["13", "14"]
rejected:
  description: VM ids whose published key is not a valid SuperNode key, with the reason.
  type: dict
  returned: success
failed:
  description: VM ids whose registration failed, with the reason (the others are still applied).
  type: dict
  returned: success
'''

from ansible_collections.opennebula.flower.plugins.module_utils._flwr import FlwrError, cli_for, superlink_argument_spec
from ansible_collections.opennebula.flower.plugins.module_utils._flwr_registration import Registry
from ansible_collections.opennebula.flower.plugins.module_utils._one_module import OpenNebulaModule
from ansible_collections.opennebula.flower.plugins.module_utils._onegate import user_template
from ansible_collections.opennebula.flower.plugins.module_utils._onegate_connection import ONEGATE
from ansible_collections.opennebula.flower.plugins.module_utils._service_registrations import (
    RegistrationsFile, reconcile)


class ServiceRegistrationsModule(OpenNebulaModule):
    connection = ONEGATE
    fails_with = (FlwrError,)

    def options(self):
        options = superlink_argument_spec()
        options.update(
            supernode_role=dict(type='str', default='supernode'),
            registry=dict(type='path', required=True),
            enrollment_file=dict(type='path', required=True),
        )
        return options

    def action(self):
        return 'OneGate service lookup'

    def run(self, client):
        p = self.params
        record = RegistrationsFile(p['enrollment_file'])
        before = sorted(record.load(), key=int)
        if 'SERVICE_ID' not in user_template(client.get_vm()):
            return dict(changed=False, in_service=False, added=[], removed=[], enrolled=before, rejected={}, failed={})
        doc = client.get_service(extended=True)
        with cli_for(self.module) as cli:
            result = reconcile(doc, p['supernode_role'], record, cli, Registry(p['registry']), self.module.check_mode)
        if result['failed']:
            self.module.fail_json(msg='registration failed for VM(s) %s' % ', '.join(sorted(result['failed'])), **result)
        result.update(in_service=True, diff=dict(before=dict(enrolled=before), after=dict(enrolled=result['enrolled'])))
        return result


def main():
    ServiceRegistrationsModule().execute()


if __name__ == '__main__':
    main()
