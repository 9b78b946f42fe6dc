#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: opennebula.flower contributors
# Apache License 2.0 (see LICENSE or https://www.apache.org/licenses/LICENSE-2.0)

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

DOCUMENTATION = r'''
---
module: flower_appliance_context
short_description: Read and validate a Flower appliance's OpenNebula context
version_added: 1.0.0
description:
  - Runs inside a SuperLink or SuperNode appliance at boot. Reads the OpenNebula context, checks every
    C(ONEAPP_*) variable of the role against the appliance schema and returns the role variables to apply.
  - All errors are reported at once, each naming the variable, its value and what is allowed. When a variable
    is invalid only O(one_env) is written (so the failure can be reported through OneGate), nothing else.
  - Reads C(context.sh) and C(token.txt) from the first of O(context_dirs) that has them (the mounted CONTEXT
    CD-ROM, or the directory a container gets), else C(/var/run/one-context/one_env) as one-context wrote it.
    Context files are parsed as text, never run by a shell.
  - Empty values (as OneFlow passes for inputs left blank) mean the default.
options:
  role:
    description: The appliance's role.
    type: str
    required: true
    choices: [superlink, supernode]
  one_env:
    description: one-context's environment file.
    type: path
    default: /var/run/one-context/one_env
  context_dirs:
    description: Directories that may hold C(context.sh) and C(token.txt), in order.
    type: list
    elements: path
    default: [/run/opennebula-flower/context]
  installed_versions:
    description:
      - Flower releases installed in the image, the default first. C(ONEAPP_FLOWER_VERSION) must be one of them,
        because nothing is downloaded at boot.
    type: list
    elements: str
    required: true
  installed_frameworks:
    description:
      - ML frameworks baked into the image, the default first. C(ONEAPP_FL_FRAMEWORK) must be one of them, and
        a SuperLink's C(ONEAPP_FL_USE_CASE) needs one of its frameworks among them.
    type: list
    elements: str
    default: []
  write_one_env:
    description:
      - When the context came from C(context.sh), write O(one_env) (mode 0400) from it, as one-context would,
        so the OneGate modules find the endpoint, VM id and token. Written only when its content differs.
    type: bool
    default: true
extends_documentation_fragment: []
attributes:
  check_mode:
    support: full
    description: Reports whether O(one_env) would be written.
  diff_mode:
    support: none
    description: Nothing to show.
  idempotent:
    support: full
    description: O(one_env) is written only when its content differs.
notes:
  - The variables, their types and allowed values are listed in the collection's docs/appliance-context.md.
  - RV(role_vars) holds the operator's TLS private key when C(ONEAPP_FL_SSL_KEYFILE) is set; run the task with
    C(no_log=true). Errors never show a secret value.
requirements:
  - python >= 3.8
author:
  - opennebula.flower contributors (@OpenNebula)
'''

EXAMPLES = r'''
- name: Read the context of a SuperNode appliance
  opennebula.flower.flower_appliance_context:
    role: supernode
    installed_versions: ["{{ appliance_flower_version }}"]
    installed_frameworks: [sklearn]
  register: appliance
  no_log: true  # the result holds the operator's TLS key when one is given
'''

RETURN = r'''
role_vars:
  description: The variables for the role's C(configure) entry point.
  type: dict
  returned: success
  sample: {"supernode_flower_version": "1.42.0", "supernode_tls_enabled": true, "supernode_superlink_address": ""}
discovery:
  description: OneGate discovery settings (SuperNode only).
  type: dict
  returned: success
  sample: {"timeout": 900, "backoff": "exponential", "max_backoff": 60, "num_partitions": 0}
training:
  description:
    - SuperLink only (empty on a SuperNode) the training defaults from the C(ONEAPP_FL_*) training variables, as
      Flower App run-config keys; C(min-nodes) is absent when C(ONEAPP_FL_MIN_NODES=0).
    - C(use-case) and C(framework) are there when C(ONEAPP_FL_USE_CASE) names a use case.
  type: dict
  returned: success
  sample: {"num-server-rounds": 3, "strategy": "FedAvg", "proximal-mu": 0.01, "checkpoint-interval": 1}
framework:
  description:
    - The ML framework the appliance uses (empty for none). On a SuperNode it goes into the ClientApps' node
      config as C(framework); on a SuperLink it is the use case's (C(training)).
  type: str
  returned: success
  sample: sklearn
log_level:
  description: The Flower service's log level (C(FLWR_LOG_LEVEL)).
  type: str
  returned: success
  sample: INFO
flower_version:
  description: The Flower release the appliance runs.
  type: str
  returned: success
  sample: 1.42.0
vm_id:
  description: The VM's id, from the context.
  type: str
  returned: success
  sample: "12"
addresses:
  description: The VM's IPv4 addresses from C(ETH<n>_IP), in NIC order.
  type: list
  elements: str
  returned: success
  sample: ["198.18.6.10"]
onegate:
  description: Whether the context has a OneGate endpoint and token.
  type: bool
  returned: success
source:
  description: The file the context came from.
  type: str
  returned: always
  sample: /run/opennebula-flower/context/context.sh
errors:
  description: Every invalid variable, when the module fails because of them.
  type: list
  elements: str
  returned: failure
'''

import os

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.opennebula.flower.plugins.module_utils._appliance_context import (
    ContextNotFound, appliance_config, read_context, render_one_env)
from ansible_collections.opennebula.flower.plugins.module_utils._files import write_file
from ansible_collections.opennebula.flower.plugins.module_utils._tls import TLSError, read_bytes


def main():
    module = AnsibleModule(
        argument_spec=dict(
            role=dict(type='str', required=True, choices=['superlink', 'supernode']),
            one_env=dict(type='path', default='/var/run/one-context/one_env'),
            context_dirs=dict(type='list', elements='path', default=['/run/opennebula-flower/context']),
            installed_versions=dict(type='list', elements='str', required=True),
            installed_frameworks=dict(type='list', elements='str', default=[]),
            write_one_env=dict(type='bool', default=True),
        ),
        supports_check_mode=True,
    )
    p = module.params
    try:
        context, source = read_context(p['one_env'], p['context_dirs'])
    except (ContextNotFound, IOError, OSError) as exc:
        module.fail_json(msg=str(exc), source='')
    if context.get('TOKENTXT'):
        module.no_log_values.add(context['TOKENTXT'])
    # Not in no_log_values: Ansible would mask the operator's key in role_vars, where the role needs it. The
    # calling task runs with no_log instead (see EXAMPLES).
    result, errors = appliance_config(p['role'], context, p['installed_versions'], p['installed_frameworks'])
    # one_env first: even an invalid context must be able to report its error through OneGate.
    wanted = render_one_env(context)
    try:
        changed = bool(p['write_one_env'] and source != p['one_env'] and read_bytes(p['one_env']) != wanted.encode())
    except TLSError as exc:  # read_bytes: the file exists but cannot be read
        module.fail_json(msg=str(exc), source=source)
    if changed and not module.check_mode:
        if not os.path.isdir(os.path.dirname(p['one_env'])):
            os.makedirs(os.path.dirname(p['one_env']), 0o755)
        write_file(module, p['one_env'], wanted.encode(), 0o400)
    if errors:
        module.fail_json(msg='invalid appliance context (%d): %s' % (len(errors), '; '.join(errors)),
                         errors=errors, source=source, changed=changed)
    module.exit_json(changed=changed, source=source, **result)


if __name__ == '__main__':
    main()
