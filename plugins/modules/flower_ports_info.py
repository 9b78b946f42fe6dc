#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: opennebula.flower contributors
# Apache License 2.0 (see LICENSE or https://www.apache.org/licenses/LICENSE-2.0)

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

DOCUMENTATION = r'''
---
module: flower_ports_info
short_description: Which processes listen on given TCP ports of this machine
version_added: 1.0.0
description:
  - Reads C(/proc) (Linux) for the TCP sockets listening on O(ports), IPv4 or IPv6, and the processes that hold them.
  - With O(owner), also returns the listeners that do not belong to it, so that a play can refuse to start services
    on ports another program holds instead of letting them fail to bind and restart in a loop.
  - Without root, a port held by another user's process is reported with no process (its descriptors are not
    readable); it is never taken for the owner's.
extends_documentation_fragment:
  - opennebula.flower._read_only
author:
  - opennebula.flower contributors (@OpenNebula)
options:
  ports:
    description: The TCP ports to look at.
    type: list
    elements: int
    required: true
  owner:
    description:
      - A directory; a listener belongs to the owner when its command line runs something under it (the local
        federation's root holds its virtualenv, so its services' command lines name it).
    type: path
'''

EXAMPLES = r'''
- name: Find what else listens on the local federation's ports
  opennebula.flower.flower_ports_info:
    ports: [19091, 19092, 19093, 19101, 19102]
    owner: /srv/flower/.local
  register: flower_ports

- name: Refuse ports another program holds
  ansible.builtin.assert:
    that: flower_ports.foreign | length == 0
    fail_msg: "{{ flower_ports.foreign | map(attribute='description') | join('; ') }}"
'''

RETURN = r'''
listeners:
  description: One entry per port of O(ports) that something listens on.
  type: list
  elements: dict
  returned: always
  contains:
    port:
      description: The port.
      type: int
    pid:
      description: A process holding the socket; null when this user cannot inspect it.
      type: int
    command:
      description: That process's command line; null when unknown.
      type: str
  sample: [{"port": 19092, "pid": 4242, "command": "/srv/flower/.local/venv-flwr-1.42.0/bin/python3 ..."}]
foreign:
  description: The RV(listeners) that are not O(owner)'s (all of them without O(owner)), each with a C(description).
  type: list
  elements: dict
  returned: always
  sample: [{"port": 19092, "pid": 999, "command": "python3 -m http.server 19092",
            "description": "port 19092 is held by process 999 (python3 -m http.server 19092)"}]
'''

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.opennebula.flower.plugins.module_utils._listeners import foreign, listeners


def main():
    module = AnsibleModule(argument_spec=dict(ports=dict(type='list', elements='int', required=True),
                                              owner=dict(type='path')),
                           supports_check_mode=True)
    found = listeners(module.params['ports'])
    module.exit_json(changed=False, listeners=found, foreign=foreign(found, module.params['owner']))


if __name__ == '__main__':
    main()
