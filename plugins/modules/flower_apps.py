#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: opennebula.flower contributors
# Apache License 2.0 (see LICENSE or https://www.apache.org/licenses/LICENSE-2.0)
# SPDX-License-Identifier: Apache-2.0

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

DOCUMENTATION = r"""
---
module: flower_apps
short_description: Install Flower Apps from the controller on a SuperLink host
version_added: 1.0.0
description:
  - Installs Flower App directories from the controller into O(dest) on the host, where C(flwr run) and
    M(opennebula.flower.flower_run) find them.
  - The action plugin packs each app (the files C(flwr build) puts into a FAB, that is C(.py), C(.toml), C(.md), C(.yaml),
    C(.json) and C(LICENSE), outside caches and dot directories) into one archive on the controller, so an app
    costs one transfer however many files it has.
  - "Idempotent: an app is replaced only when the fingerprint of its files (names and contents) differs from the
    one recorded at C(<dest>/.<name>.fingerprint) by the last install. The new tree is unpacked next to the old one
    and swapped in, so C(flwr run) never sees half an app."
options:
  src:
    description:
      - Directory on the controller that holds the apps, one directory each.
      - Read by the action plugin.
    type: path
    required: true
  names:
    description:
      - The apps to install, as directory names under O(src).
    type: list
    elements: str
    required: true
  dest:
    description:
      - Directory on the host that holds the installed apps. It must exist.
    type: path
    required: true
  apps:
    description:
      - The packed apps. The action plugin fills this from O(src) and O(names); do not set it.
    type: list
    elements: dict
    suboptions:
      name:
        description: The app's directory name.
        type: str
        required: true
      fingerprint:
        description: SHA-256 over the app's file names and contents.
        type: str
        required: true
      archive:
        description: The app's files as a base64 tar.gz.
        type: str
        required: true
author:
  - opennebula.flower contributors (@OpenNebula)
attributes:
  action:
    description: Packs O(src) on the controller and sends each app as one archive.
    support: full
  check_mode:
    description: Reports which apps would be installed and changes nothing.
    support: full
  diff_mode:
    description: The recorded fingerprint of each app before and after.
    support: full
  idempotent:
    description: An app whose recorded fingerprint matches is left alone.
    support: full
"""

EXAMPLES = r"""
- name: Install the Flower Apps on the SuperLink host
  opennebula.flower.flower_apps:
    src: "{{ playbook_dir }}/../apps"
    names: [digits, anomaly_detection]
    dest: /opt/flower/apps
"""

RETURN = r"""
installed:
  description: Apps installed or replaced by this run (or that would be, in check mode).
  type: list
  elements: str
  returned: always
  sample: [digits]
unchanged:
  description: Apps whose installed files already matched.
  type: list
  elements: str
  returned: always
  sample: [anomaly_detection]
"""

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.opennebula.flower.plugins.module_utils._flower_apps import AppError, AppInstaller, apply


def main():
    module = AnsibleModule(
        argument_spec=dict(
            src=dict(type='path', required=True),
            names=dict(type='list', elements='str', required=True),
            dest=dict(type='path', required=True),
            apps=dict(type='list', elements='dict', options=dict(
                name=dict(type='str', required=True),
                fingerprint=dict(type='str', required=True),
                archive=dict(type='str', required=True),
            )),
        ),
        supports_check_mode=True,
    )
    apps = module.params['apps']
    if apps is None:
        module.fail_json(msg='apps is missing: flower_apps runs through its action plugin, which packs src')
    try:
        result = apply(module, AppInstaller(module, module.params['dest']), apps, module.check_mode)
    except (AppError, OSError) as err:
        module.fail_json(msg=str(err))
    if not module._diff:
        result.pop('diff')
    module.exit_json(**result)


if __name__ == '__main__':
    main()
