#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: opennebula.flower contributors
# Apache License 2.0 (see LICENSE or https://www.apache.org/licenses/LICENSE-2.0)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
module: flower_supernode_registration
short_description: Register a SuperNode public key with a Flower SuperLink
version_added: 1.0.0
description:
  - Registers the public key of a SuperNode with a SuperLink that runs with C(--enable-supernode-auth), so the
    SuperNode holding the matching private key may join; returns the node id Flower assigned.
  - Idempotent. A key that is already registered is left alone. The SuperLink does not list public keys, so the
    node id of each key is kept in O(registry) on the SuperLink side; the SuperLink's node list stays the
    authority on the node's status.
  - Flower never accepts a key again once it was unregistered; registering such a key fails and asks for a new key.
  - Run it where the C(flwr) CLI can reach the Control API, normally delegated to the SuperLink host.
author:
  - opennebula.flower contributors (@OpenNebula)
extends_documentation_fragment:
  - opennebula.flower._flower_superlink
options:
  public_key:
    description:
      - The SuperNode's public key, one OpenSSH line (C(ecdsa-sha2-nistp384 AAAA...)).
    type: str
    required: true
  registry:
    description:
      - JSON file on the SuperLink side that maps key fingerprints to node ids.
      - Without it the module still registers keys, but cannot return the node id of a key registered earlier.
    type: path
  node_id:
    description:
      - Node id to unregister with O(state=absent) when O(registry) does not know the key.
    type: int
  state:
    description:
      - V(present) registers the key, V(absent) unregisters the node (for good; the key cannot come back).
    type: str
    choices: [present, absent]
    default: present
attributes:
  check_mode:
    description: Predicts exactly whether the key would be registered or unregistered.
    support: full
  diff_mode:
    description: Shows the registration before and after.
    support: full
  idempotent:
    description: A registered key stays registered with the same node id.
    support: full
"""

EXAMPLES = r"""
- name: Create the SuperNode key
  opennebula.flower.flower_supernode_key:
    path: /etc/flower/supernode/node.key
  register: node_key

- name: Register it with the SuperLink
  opennebula.flower.flower_supernode_registration:
    public_key: "{{ node_key.public_key }}"
    superlink: 127.0.0.1:9092
    root_certificates: /etc/flower/superlink/tls/ca.crt
    flwr: /opt/flower/venv/bin/flwr
    registry: /var/lib/flower/superlink/registrations.json
  delegate_to: superlink
  register: registration

- name: Show the node id
  ansible.builtin.debug:
    msg: "SuperNode {{ registration.node_id }} is {{ registration.status }}"
"""

RETURN = r"""
node_id:
  description: The node id Flower assigned to the key; null when the key was registered without a registry entry.
  type: int
  returned: always
  sample: 12426622708860319678
status:
  description: The node's status on the SuperLink (C(registered), C(online), C(offline)); null when absent.
  type: str
  returned: always
  sample: online
fingerprint:
  description: SHA256 fingerprint of the public key, as C(ssh-keygen -l) prints it.
  type: str
  returned: always
  sample: SHA256:V5Ukz0r1hN2tw4yXg1L0m6mS1cE6b8j2mE3Nq0qkQ0c
"""

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.opennebula.flower.plugins.module_utils._flwr import FlwrError, cli_for, superlink_argument_spec
from ansible_collections.opennebula.flower.plugins.module_utils._flwr_registration import (
    Registration, RegistrationError, Registry)


def main():
    argument_spec = superlink_argument_spec()
    argument_spec.update(
        public_key=dict(type="str", required=True),
        registry=dict(type="path"),
        node_id=dict(type="int"),
        state=dict(type="str", choices=["present", "absent"], default="present"),
    )
    module = AnsibleModule(argument_spec=argument_spec, supports_check_mode=True)
    params = module.params
    try:
        with cli_for(module) as cli:
            registration = Registration(cli, Registry(params["registry"], module.atomic_move), params["public_key"])
            before_id, before_status = registration.current()
            if params["state"] == "present":
                changed, node_id, status = registration.ensure_present(module.check_mode)
            else:
                changed, node_id = registration.ensure_absent(module.check_mode, params["node_id"])
                status = None
    except (RegistrationError, FlwrError) as err:
        module.fail_json(msg=str(err))
    result = dict(changed=changed, node_id=node_id, status=status, fingerprint=registration.fingerprint)
    if module._diff:
        result["diff"] = dict(
            before=dict(registered=before_status not in (None, "unregistered"), node_id=before_id),
            after=dict(registered=params["state"] == "present", node_id=node_id),
        )
    module.exit_json(**result)


if __name__ == "__main__":
    main()
