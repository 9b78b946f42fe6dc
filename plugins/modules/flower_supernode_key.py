#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: opennebula.flower contributors
# Apache License 2.0 (see LICENSE or https://www.apache.org/licenses/LICENSE-2.0)
# SPDX-License-Identifier: Apache-2.0

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

DOCUMENTATION = r"""
---
module: flower_supernode_key
short_description: Manage a Flower SuperNode authentication key pair
version_added: 1.0.0
description:
  - Manages the key pair a SuperNode authenticates with when the SuperLink runs with C(--enable-supernode-auth).
  - The private key at O(path) is an EC key on a NIST curve in OpenSSH format
    (what C(flower-supernode --auth-supernode-private-key) reads); the public key is written in OpenSSH format
    (C(ecdsa-sha2-nistp384 AAAA...)) to C(<path>.pub), the file C(flwr supernode register) takes.
  - "Idempotent: an existing valid key on the right curve is kept. A missing or unusable key, or one on another
    curve, is replaced by a new key (RV(rotated)). A key in PEM (PKCS#8 or SEC1) format is rewritten in OpenSSH
    format and keeps its identity. A missing or wrong C(.pub) file is rewritten from the private key,
    without rotating it."
  - A rotated key must be registered again with the SuperLink; the SuperLink refuses to register a public key
    twice, even after the node was unregistered.
options:
  path:
    description:
      - Path of the private key; the public key goes to C(<path>.pub).
    type: path
    required: true
  curve:
    description:
      - NIST curve of the key. Flower accepts only NIST EC curves.
    type: str
    choices: [secp256r1, secp384r1, secp521r1]
    default: secp384r1
  state:
    description:
      - V(present) creates or repairs the key pair; V(absent) removes both files.
    type: str
    choices: [present, absent]
    default: present
  force:
    description:
      - Generate a new key even when the existing one is valid (key rotation).
    type: bool
    default: false
  owner:
    description:
      - Owner of both files (usually the Flower service user). Left as it is when omitted.
    type: str
  group:
    description:
      - Group of both files. Left as it is when omitted.
    type: str
  mode:
    description:
      - Mode of the private key file. The C(.pub) file is always C(0644).
    type: raw
    default: '0600'
extends_documentation_fragment:
  - ansible.builtin.action_common_attributes
attributes:
  check_mode:
    support: full
    details: Predicts C(changed) exactly and writes nothing.
  diff_mode:
    support: full
    details: Public key and file attributes before and after; never the private key.
  idempotent:
    description: When run twice with the same options, the second run reports no change (unless O(force=true)).
    support: full
  platform:
    platforms: posix
requirements:
  - cryptography >= 3.3
seealso:
  - module: opennebula.flower.flower_tls
author:
  - opennebula.flower contributors (@OpenNebula)
"""

EXAMPLES = r"""
- name: SuperNode authentication key
  opennebula.flower.flower_supernode_key:
    path: /var/lib/flower/node.key
    owner: flower
    group: flower
  register: node_key

- name: Show the key to register with the SuperLink
  ansible.builtin.debug:
    msg: "{{ inventory_hostname }}: {{ node_key.public_key }} ({{ node_key.fingerprint }})"

- name: Rotate the key
  opennebula.flower.flower_supernode_key:
    path: /var/lib/flower/node.key
    force: true
"""

RETURN = r"""
public_key:
  description: The public key as an OpenSSH line. V(null) in check mode when a new key would be generated.
  type: str
  returned: when O(state=present)
  sample: "ecdsa-sha2-nistp384 AAAAE2VjZHNhLXNoYTItbmlzdHAzODQAAAAIbmlzdHAzODQAAABhBA..."
fingerprint:
  description: SHA256 fingerprint of the public key, as C(ssh-keygen -l) prints it. V(null) when RV(public_key) is.
  type: str
  returned: when O(state=present)
  sample: "SHA256:0fJ3uQ0n6m2v4d7Hq3b2m4f1a8c9d0e1f2a3b4c5d6e"
curve:
  description: The key's curve.
  type: str
  returned: when O(state=present)
  sample: secp384r1
public_key_path:
  description: Path of the public key file.
  type: str
  returned: when O(state=present)
  sample: /var/lib/flower/node.key.pub
rotated:
  description: Whether a new key was (or in check mode would be) generated; it must then be registered again.
  type: bool
  returned: when O(state=present)
  sample: false
reason:
  description: Why a file was (or would be) written; V(null) when nothing was.
  type: str
  returned: when O(state=present)
  sample: public key file does not match the private key
"""

from ansible.module_utils.basic import AnsibleModule, missing_required_lib

from ansible_collections.opennebula.flower.plugins.module_utils._tls import (
    CRYPTOGRAPHY_IMPORT_ERROR,
    HAS_CRYPTOGRAPHY,
    NODE_CURVES,
    SuperNodeKey,
    TLSError,
)


def main():
    module = AnsibleModule(
        argument_spec=dict(
            path=dict(type='path', required=True),
            curve=dict(type='str', default='secp384r1', choices=list(NODE_CURVES)),
            state=dict(type='str', default='present', choices=['present', 'absent']),
            force=dict(type='bool', default=False),
            owner=dict(type='str'),
            group=dict(type='str'),
            mode=dict(type='raw', default='0600'),
        ),
        supports_check_mode=True,
    )
    if not HAS_CRYPTOGRAPHY:
        module.fail_json(msg=missing_required_lib('cryptography >= 3.3'), exception=CRYPTOGRAPHY_IMPORT_ERROR)
    try:
        key = SuperNodeKey(module)
        result = key.present() if module.params['state'] == 'present' else key.absent()
    except TLSError as exc:
        module.fail_json(msg=str(exc))
    module.exit_json(**result)


if __name__ == '__main__':
    main()
