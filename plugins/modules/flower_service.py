#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: opennebula.flower contributors
# Apache License 2.0 (see LICENSE or https://www.apache.org/licenses/LICENSE-2.0)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
module: flower_service
short_description: Write a Flower service's launcher and definition and bring the service to its state, in one pass
version_added: 1.0.0
description:
  - Writes the launcher script, the systemd unit or supervisord program file and (supervisor) the supervisord
    configuration, each atomically and only when its content differs, then brings the service to O(state).
  - "systemd: C(daemon-reload) when the unit changed (or systemd asks for it), enable or disable, start, stop or
    restart."
  - "supervisor: starts supervisord when it does not answer on its socket, rereads the configuration and adds or
    replaces the program when its file changed (which restarts it), and starts, stops or restarts the program.
    It talks to supervisord over the XML-RPC interface on the UNIX socket that C(supervisord.conf) names."
  - The service is restarted when O(restart=true), or when the launcher or the definition changed and
    O(state=started).
  - Hosts that share one supervisord (a local federation) may run this module in parallel; the supervisord
    configuration, its start and the loading of programs happen under a lock file next to O(supervisor_conf).
author:
  - opennebula.flower contributors (@OpenNebula)
options:
  name:
    description: The systemd unit (without C(.service)) or supervisord program name.
    type: str
    required: true
  manager:
    description: The service manager.
    type: str
    choices: [systemd, supervisor]
    required: true
  state:
    description:
      - V(started) and V(stopped) bring the service to that state.
      - V(present) only writes the files (an image build); the service manager is not called.
    type: str
    choices: [started, stopped, present]
    default: started
  enabled:
    description: Start at boot (systemd only; supervisord programs autostart). Ignored with O(state=present).
    type: bool
    default: true
  restart:
    description: Restart the service even if no file changed (e.g. its certificates or keys changed).
    type: bool
    default: false
  launcher:
    description: Path of the launcher script the definition executes; with O(launcher_content).
    type: path
  launcher_content:
    description: The launcher script's text. Without it the launcher is left alone.
    type: str
  launcher_owner:
    description: Owner of the launcher (mode 0755). Unset keeps the writer's.
    type: str
  definition:
    description: Path of the systemd unit or supervisord program file.
    type: path
    required: true
  definition_content:
    description: The unit or program file's text.
    type: str
    required: true
  definition_owner:
    description: Owner of the definition file (mode 0644). Unset keeps the writer's.
    type: str
  definition_group:
    description: Group of the definition file. Unset keeps the writer's.
    type: str
  directories:
    description:
      - Directories the service needs, created first (with their parents) or given the wanted mode, owner and group.
    type: list
    elements: dict
    default: []
    suboptions:
      path:
        description: The directory.
        type: path
        required: true
      mode:
        description: Its mode, an octal string.
        type: str
        default: "0755"
      owner:
        description: Its owner. Unset keeps the writer's.
        type: str
      group:
        description: Its group. Unset keeps the writer's.
        type: str
  files:
    description:
      - Other small text files the service reads (a CA certificate, a client configuration), written like the
        launcher before the service is touched.
    type: list
    elements: dict
    default: []
    suboptions:
      path:
        description: The file.
        type: path
        required: true
      content:
        description: Its text.
        type: str
        required: true
      mode:
        description: Its mode, an octal string.
        type: str
        default: "0644"
      owner:
        description: Its owner. Unset keeps the writer's.
        type: str
      group:
        description: Its group. Unset keeps the writer's.
        type: str
      restart:
        description: Restart the (started) service when this file changes.
        type: bool
        default: false
  supervisor_conf:
    description: supervisord's configuration file (supervisor only; required then).
    type: path
  supervisor_conf_content:
    description: The text of O(supervisor_conf). Without it the file is only read (for its socket).
    type: str
  supervisord:
    description: The supervisord executable, started with C(-c) O(supervisor_conf) when supervisord is not running.
    type: path
    default: supervisord
  systemctl:
    description: The systemctl executable.
    type: path
    default: systemctl
attributes:
  check_mode:
    description: Predicts exactly which files would change and which service actions would run.
    support: full
  diff_mode:
    description: Shows each file's content before and after.
    support: full
  idempotent:
    description: A second run with the same arguments changes nothing.
    support: full
"""

EXAMPLES = r"""
- name: Run a SuperLink under systemd
  opennebula.flower.flower_service:
    name: flower-superlink
    manager: systemd
    launcher: /etc/flower/superlink/run-superlink.sh
    launcher_content: "{{ lookup('ansible.builtin.template', 'launcher.sh.j2') }}"
    definition: /etc/systemd/system/flower-superlink.service
    definition_content: "{{ lookup('ansible.builtin.template', 'flower.service.j2') }}"
    definition_owner: root
    definition_group: root
    restart: "{{ tls is changed }}"

- name: Install the definition only (image build)
  opennebula.flower.flower_service:
    name: flower-supernode
    manager: systemd
    state: present
    definition: /etc/systemd/system/flower-supernode.service
    definition_content: "{{ lookup('ansible.builtin.template', 'flower.service.j2') }}"

- name: Run a SuperNode under the virtualenv's supervisord
  opennebula.flower.flower_service:
    name: flower-supernode1
    manager: supervisor
    launcher: /srv/flower/supernode1/etc/run-supernode.sh
    launcher_content: "{{ lookup('ansible.builtin.template', 'launcher.sh.j2') }}"
    definition: /srv/flower/supervisor/programs/flower-supernode1.conf
    definition_content: "{{ lookup('ansible.builtin.template', 'supervisor-program.conf.j2') }}"
    supervisor_conf: /srv/flower/supervisor/supervisord.conf
    supervisor_conf_content: "{{ lookup('ansible.builtin.template', 'supervisord.conf.j2') }}"
    supervisord: /srv/flower/venv/bin/supervisord
"""

RETURN = r"""
directories_changed:
  description: The directories that were (or in check mode would be) created or had their mode or owner fixed.
  type: list
  elements: str
  returned: always
  sample: [/var/lib/flower/superlink]
files_changed:
  description: The files that were (or in check mode would be) written or had their mode or owner fixed.
  type: list
  elements: str
  returned: always
  sample: [/etc/flower/superlink/run-superlink.sh]
actions:
  description: What was (or would be) done to the service, in order.
  type: list
  elements: str
  returned: always
  sample: [enable, restart]
service_changed:
  description: Whether the service was (or would be) started, stopped, restarted, enabled, disabled or reloaded.
  type: bool
  returned: always
  sample: false
restarted:
  description: Whether the service was (or would be) restarted or replaced while it ran.
  type: bool
  returned: always
  sample: false
service_state:
  description: The systemd ActiveState or supervisord process state afterwards; null with O(state=present).
  type: str
  returned: always
  sample: RUNNING
"""

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.opennebula.flower.plugins.module_utils._flower_service import ServiceError, apply


def main():
    module = AnsibleModule(
        argument_spec=dict(
            name=dict(type='str', required=True),
            manager=dict(type='str', required=True, choices=['systemd', 'supervisor']),
            state=dict(type='str', default='started', choices=['started', 'stopped', 'present']),
            enabled=dict(type='bool', default=True),
            restart=dict(type='bool', default=False),
            launcher=dict(type='path'),
            launcher_content=dict(type='str'),
            launcher_owner=dict(type='str'),
            definition=dict(type='path', required=True),
            definition_content=dict(type='str', required=True),
            definition_owner=dict(type='str'),
            definition_group=dict(type='str'),
            directories=dict(type='list', elements='dict', default=[], options=dict(
                path=dict(type='path', required=True),
                mode=dict(type='str', default='0755'),
                owner=dict(type='str'),
                group=dict(type='str'),
            )),
            files=dict(type='list', elements='dict', default=[], options=dict(
                path=dict(type='path', required=True),
                content=dict(type='str', required=True),
                mode=dict(type='str', default='0644'),
                owner=dict(type='str'),
                group=dict(type='str'),
                restart=dict(type='bool', default=False),
            )),
            supervisor_conf=dict(type='path'),
            supervisor_conf_content=dict(type='str'),
            supervisord=dict(type='path', default='supervisord'),
            systemctl=dict(type='path', default='systemctl'),
        ),
        required_together=[('launcher', 'launcher_content')],
        required_if=[('manager', 'supervisor', ('supervisor_conf',))],
        supports_check_mode=True,
    )
    result = dict(changed=False, directories_changed=[], files_changed=[], actions=[], service_changed=False, restarted=False,
                  service_state=None)
    try:
        diffs = apply(module, result)
    except ServiceError as err:
        module.fail_json(msg=str(err), **result)
    if module._diff:
        result['diff'] = diffs
    module.exit_json(**result)


if __name__ == '__main__':
    main()
