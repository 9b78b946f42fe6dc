#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: opennebula.flower contributors
# Apache License 2.0 (see LICENSE or https://www.apache.org/licenses/LICENSE-2.0)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
module: flower_supernode_info
short_description: List the SuperNodes a Flower SuperLink knows
version_added: 1.0.0
description:
  - Lists the SuperNodes of a SuperLink's federation with their status, through the SuperLink's Control API.
  - A successful call also proves that the SuperLink serves its Control API (over TLS unless O(insecure=true)),
    so the roles use it as the SuperLink's readiness probe and, with O(node_id), as a SuperNode's.
author:
  - opennebula.flower contributors (@OpenNebula)
extends_documentation_fragment:
  - opennebula.flower._read_only
  - opennebula.flower._flower_superlink
options:
  node_id:
    description:
      - Return only this node (still in RV(nodes)) and its status in RV(status).
    type: int
  wait:
    description:
      - Poll the SuperLink until O(node_id) is C(online), every half second at first, for at most
        O(wait_timeout) seconds. One module run polls far more often than C(until)/C(retries) can, which
        matters because a SuperNode comes online seconds after it starts.
      - Fails at once when the node is C(unregistered) or not known to the SuperLink, and after O(wait_timeout)
        with the node's last status.
    type: bool
    default: false
  wait_timeout:
    description:
      - Seconds O(wait=true) waits.
    type: int
    default: 60
"""

EXAMPLES = r"""
- name: Wait until SuperNode 1234 is online
  opennebula.flower.flower_supernode_info:
    superlink: 127.0.0.1:9092
    root_certificates: /etc/flower/superlink/tls/ca.crt
    flwr: /opt/flower/venv/bin/flwr
    node_id: 1234
    wait: true
    wait_timeout: 60
"""

RETURN = r"""
nodes:
  description: The SuperNodes, as C(flwr supernode list --format json) reports them.
  type: list
  elements: dict
  returned: always
  sample: [{"node-id": "1234", "status": "online", "online-at": "2026-11-28 19:48:54Z"}]
online:
  description: How many of RV(nodes) are online.
  type: int
  returned: always
  sample: 2
status:
  description: Status of O(node_id); null when the SuperLink does not know it or O(node_id) is not set.
  type: str
  returned: always
  sample: online
"""

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.opennebula.flower.plugins.module_utils._flwr import (
    SUPERNODE_ONLINE, FlwrError, cli_for, superlink_argument_spec)
from ansible_collections.opennebula.flower.plugins.module_utils._flwr_registration import node_status
from ansible_collections.opennebula.flower.plugins.module_utils._waiter import ABSENT, WaitError, Waiter


def main():
    argument_spec = superlink_argument_spec()
    argument_spec.update(node_id=dict(type="int"), wait=dict(type="bool", default=False),
                         wait_timeout=dict(type="int", default=60))
    module = AnsibleModule(argument_spec=argument_spec, supports_check_mode=True,
                           required_if=[("wait", True, ("node_id",))])
    node_id = module.params["node_id"]
    try:
        with cli_for(module) as cli:
            if module.params["wait"]:
                nodes = Waiter().wait(cli.list_nodes, lambda listed: node_status(listed, node_id) or ABSENT,
                                      SUPERNODE_ONLINE, timeout=module.params["wait_timeout"], delay=0.5,
                                      max_delay=2.0)
            else:
                nodes = cli.list_nodes()
    except WaitError as err:
        module.fail_json(msg="SuperNode %s is not online at %s: %s" % (node_id, module.params["superlink"], err.message),
                         status=None if err.state == ABSENT else err.state)
    except FlwrError as err:
        module.fail_json(msg="cannot list the SuperNodes of %s: %s" % (module.params["superlink"], err.message))
    status = None
    if node_id is not None:
        status = node_status(nodes, node_id)
        nodes = [node for node in nodes if str(node.get("node-id")) == str(node_id)]
    online = sum(1 for node in nodes if node.get("status") == "online")
    module.exit_json(changed=False, nodes=nodes, online=online, status=status)


if __name__ == "__main__":
    main()
