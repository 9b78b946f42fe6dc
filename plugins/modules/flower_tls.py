#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: opennebula.flower contributors
# Apache License 2.0 (see LICENSE or https://www.apache.org/licenses/LICENSE-2.0)
# SPDX-License-Identifier: Apache-2.0

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

DOCUMENTATION = r"""
---
module: flower_tls
short_description: Manage the TLS CA and server certificate of a Flower SuperLink
version_added: 1.0.0
description:
  - Manages four files in the directory O(path) - C(ca.crt), C(ca.key), C(server.pem) and C(server.key) -
    which the SuperLink reads with C(--ssl-ca-certfile ca.crt --ssl-certfile server.pem --ssl-keyfile server.key).
    SuperNodes and the C(flwr) CLI trust C(ca.crt).
  - "By default the module runs its own CA: an EC P-384 key, a self-signed certificate with
    C(BasicConstraints CA:TRUE) (critical) and C(KeyUsage keyCertSign, cRLSign), and a server certificate
    (EC P-384 key, C(CA:FALSE), C(extendedKeyUsage serverAuth), DNS and IP subject alternative names) signed by it."
  - "Idempotent: existing files are compared with what is wanted and only what no longer matches is
    (re)generated - a missing or unreadable file, a server key that does not match the server certificate,
    a changed SAN set or common name, a server certificate not signed by the current CA, or a certificate
    that expires within O(renew_before_days). A valid CA is never replaced because the server certificate changes;
    a CA certificate that expires or whose O(ca_common_name) changes is reissued with the same CA key."
  - Changing O(valid_days) or O(ca_valid_days) alone does not reissue a certificate.
  - "Operator-provided material, two ways: O(operator_ca_cert) + O(operator_cert) + O(operator_key) installs a
    complete set as given (no C(ca.key) is written); O(operator_ca_cert) + O(operator_ca_key) makes the module
    sign the server certificate with the operator's CA, whose key is used in memory and never written.
    Given material is validated (chain, key match, SANs, expiry) and the task fails, naming the option,
    before anything is written. In both ways a C(ca.key) left from an earlier self-managed CA is left in place
    (still mode C(0600)); remove it yourself if that CA is retired."
  - C(ca.key) is always mode C(0600) and owned by the user running the module, so the Flower service user
    (O(owner)/O(group)) cannot read it.
  - Files are written atomically. Private keys are never returned.
options:
  path:
    description:
      - Directory holding the four files. It is created (mode C(0755)) when missing.
    type: path
    required: true
  state:
    description:
      - V(present) creates or updates the files; V(absent) removes the four files (the directory stays).
    type: str
    choices: [present, absent]
    default: present
  common_name:
    description:
      - Common name of the server certificate.
      - Defaults to the first entry of O(subject_alt_names), or V(superlink) when none is given.
    type: str
  subject_alt_names:
    description:
      - DNS names and IP addresses the SuperLink is reached at (an optional C(DNS:) or C(IP:) prefix is accepted).
      - V(localhost) and V(127.0.0.1) are always added, because the SuperLink's own SuperExec connects there.
      - Compared as a set; DNS names are case-insensitive.
    type: list
    elements: str
    default: []
  ca_common_name:
    description:
      - Common name of the self-managed CA certificate.
    type: str
    default: Flower CA
  valid_days:
    description:
      - Validity of a newly issued server certificate, in days.
    type: int
    default: 825
  ca_valid_days:
    description:
      - Validity of a newly issued CA certificate, in days.
    type: int
    default: 3650
  renew_before_days:
    description:
      - Reissue a certificate that expires within this many days.
      - Keep it below O(valid_days), or the server certificate is reissued on every run (the module warns).
    type: int
    default: 30
  owner:
    description:
      - Owner of C(server.key), C(server.pem) and C(ca.crt), usually the Flower service user.
      - When omitted the owner is left as it is (the user running the module for new files).
    type: str
  group:
    description:
      - Group of C(server.key), C(server.pem) and C(ca.crt).
      - When given, C(server.key) gets mode C(0640) so the group can read it; otherwise C(0600).
    type: str
  operator_ca_cert:
    description:
      - PEM certificate of an operator CA, written to C(ca.crt).
      - Needs either O(operator_cert) and O(operator_key), or O(operator_ca_key).
    type: str
  operator_ca_key:
    description:
      - Unencrypted PEM private key of O(operator_ca_cert); the module then issues the server certificate
        with this CA. The key is not written to disk.
      - Mutually exclusive with O(operator_cert).
    type: str
  operator_cert:
    description:
      - PEM server certificate issued by O(operator_ca_cert), optionally followed by intermediate certificates,
        written to C(server.pem).
      - Must verify against O(operator_ca_cert), match O(operator_key), carry every name of O(subject_alt_names)
        plus V(localhost) and V(127.0.0.1), and not be expired.
    type: str
  operator_key:
    description:
      - Unencrypted PEM private key of O(operator_cert), written to C(server.key).
    type: str
extends_documentation_fragment:
  - ansible.builtin.action_common_attributes
attributes:
  check_mode:
    support: full
    details: Predicts C(changed) exactly and writes nothing.
  diff_mode:
    support: full
    details: Fingerprints, subjects, SANs and expiry dates of the files before and after; never key material.
  idempotent:
    description: When run twice with the same options, the second run reports no change.
    support: full
  platform:
    platforms: posix
requirements:
  - cryptography >= 3.3
seealso:
  - module: opennebula.flower.flower_supernode_key
author:
  - opennebula.flower contributors (@OpenNebula)
"""

EXAMPLES = r"""
- name: SuperLink CA and server certificate
  opennebula.flower.flower_tls:
    path: /etc/flower/tls
    subject_alt_names:
      - superlink.example.org
      - 10.0.0.10
    owner: flower
    group: flower
  register: superlink_tls

- name: Give the CA certificate to the SuperNodes
  ansible.builtin.copy:
    content: "{{ superlink_tls.ca_cert }}"
    dest: /etc/flower/ca.crt
    mode: "0644"
  delegate_to: "{{ item }}"
  loop: "{{ groups['supernodes'] }}"

- name: Restart the SuperLink when its certificate changed
  ansible.builtin.debug:
    msg: "New server certificate {{ superlink_tls.server_fingerprint }}, valid until {{ superlink_tls.not_after }}"
  when: superlink_tls.regenerated | selectattr('file', 'equalto', 'server.pem') | list | length > 0

- name: Sign with the organisation's CA instead of a self-managed one
  opennebula.flower.flower_tls:
    path: /etc/flower/tls
    subject_alt_names: [superlink.example.org]
    operator_ca_cert: "{{ lookup('ansible.builtin.file', 'pki/org-ca.crt') }}"
    operator_ca_key: "{{ org_ca_key }}"

- name: Install a certificate set issued elsewhere
  opennebula.flower.flower_tls:
    path: /etc/flower/tls
    subject_alt_names: [superlink.example.org]
    operator_ca_cert: "{{ lookup('ansible.builtin.file', 'pki/org-ca.crt') }}"
    operator_cert: "{{ lookup('ansible.builtin.file', 'pki/superlink.pem') }}"
    operator_key: "{{ superlink_tls_key }}"
"""

RETURN = r"""
ca_cert:
  description: The CA certificate in PEM (public). V(null) in check mode when it would be (re)generated.
  type: str
  returned: when O(state=present)
  sample: "-----BEGIN CERTIFICATE-----\nMIIB...\n-----END CERTIFICATE-----\n"
ca_fingerprint:
  description: SHA-256 fingerprint of the CA certificate. V(null) in check mode when it would be (re)generated.
  type: str
  returned: when O(state=present)
  sample: "3A:1F:...:9C"
server_fingerprint:
  description: SHA-256 fingerprint of the server certificate. V(null) in check mode when it would be (re)generated.
  type: str
  returned: when O(state=present)
  sample: "B2:04:...:11"
subject_alt_names:
  description:
    - The server certificate's subject alternative names, including V(localhost) and V(127.0.0.1).
    - With O(operator_cert), the names the given certificate carries.
  type: list
  elements: str
  returned: when O(state=present)
  sample: [superlink.example.org, 10.0.0.10, localhost, 127.0.0.1]
not_after:
  description: Expiry of the server certificate (UTC, ISO 8601). V(null) in check mode when it would be (re)generated.
  type: str
  returned: when O(state=present)
  sample: "2028-03-01T12:00:00Z"
regenerated:
  description: Files that were (or in check mode would be) written, each with the reason.
  type: list
  elements: dict
  returned: always
  contains:
    file:
      description: File name inside O(path).
      type: str
      sample: server.pem
    reason:
      description: Why it was written.
      type: str
      sample: "subject_alt_names changed (added: 10.0.0.11; removed: -)"
  sample: [{file: server.pem, reason: "subject_alt_names changed (added: 10.0.0.11; removed: -)"}]
"""

from ansible.module_utils.basic import AnsibleModule, missing_required_lib

from ansible_collections.opennebula.flower.plugins.module_utils._tls import (
    CRYPTOGRAPHY_IMPORT_ERROR,
    HAS_CRYPTOGRAPHY,
    FlowerTLS,
    TLSError,
)


def main():
    module = AnsibleModule(
        argument_spec=dict(
            path=dict(type='path', required=True),
            state=dict(type='str', default='present', choices=['present', 'absent']),
            common_name=dict(type='str'),
            subject_alt_names=dict(type='list', elements='str', default=[]),
            ca_common_name=dict(type='str', default='Flower CA'),
            valid_days=dict(type='int', default=825),
            ca_valid_days=dict(type='int', default=3650),
            renew_before_days=dict(type='int', default=30),
            owner=dict(type='str'),
            group=dict(type='str'),
            operator_ca_cert=dict(type='str'),
            operator_ca_key=dict(type='str', no_log=True),
            operator_cert=dict(type='str'),
            operator_key=dict(type='str', no_log=True),
        ),
        required_together=[('operator_cert', 'operator_key')],
        required_by=dict(operator_cert='operator_ca_cert', operator_ca_key='operator_ca_cert'),
        mutually_exclusive=[('operator_cert', 'operator_ca_key')],
        supports_check_mode=True,
    )
    if not HAS_CRYPTOGRAPHY:
        module.fail_json(msg=missing_required_lib('cryptography >= 3.3'), exception=CRYPTOGRAPHY_IMPORT_ERROR)
    try:
        tls = FlowerTLS(module)
        result = tls.present() if module.params['state'] == 'present' else tls.absent()
    except TLSError as exc:
        module.fail_json(msg=str(exc))
    module.exit_json(**result)


if __name__ == '__main__':
    main()
