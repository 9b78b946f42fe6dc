#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: opennebula.flower contributors
# Apache License 2.0 (see LICENSE or https://www.apache.org/licenses/LICENSE-2.0)

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

DOCUMENTATION = r'''
---
module: one_image
short_description: Register OpenNebula images (for example a QCOW2 appliance) and wait until they are READY
version_added: 1.0.0
description:
  - Registers an image, identified by its unique name among the user's images, from a path on the frontend or a
    URL, and waits while it is LOCKED until it is READY. Fails with the image's error text when it ends in ERROR.
  - An existing image is never registered again and its source is not compared; delete it with O(state=absent)
    to register a new version.
  - Replaces community.general's C(one_image), which cannot register images.
extends_documentation_fragment:
  - opennebula.flower._opennebula
  - opennebula.flower._opennebula.wait
  - opennebula.flower._opennebula.polling
attributes:
  check_mode:
    support: full
    description: Predicts C(changed) exactly.
  diff_mode:
    support: full
    description: Returns the image name and state before and after.
  idempotent:
    support: full
    description: Images are matched by name.
options:
  name:
    description:
      - Image name.
    type: str
    required: true
  state:
    description:
      - Whether the image should exist.
    type: str
    choices: [present, absent]
    default: present
  path:
    description:
      - Path on the frontend or an C(http(s)://) URL of the image file. Required to register an image unless
        O(size) creates an empty DATABLOCK.
    type: str
  type:
    description:
      - Image type.
    type: str
    choices: [OS, CDROM, DATABLOCK, KERNEL, RAMDISK, CONTEXT]
    default: OS
  format:
    description:
      - Disk format, for example V(qcow2) or V(raw).
    type: str
    default: qcow2
  size:
    description:
      - Size in MB of an empty DATABLOCK.
    type: int
  persistent:
    description:
      - Register the image as persistent.
    type: bool
    default: false
  dev_prefix:
    description:
      - Device prefix, for example V(vd) or V(sd).
    type: str
  description:
    description:
      - Free text description.
    type: str
  datastore_id:
    description:
      - Image datastore to register into (id 0 is valid).
    type: int
    default: 1
  attributes:
    description:
      - Further image template attributes.
    type: dict
requirements:
  - python >= 3.8
author:
  - opennebula.flower contributors (@OpenNebula)
'''

EXAMPLES = r'''
- name: Register the Flower appliance
  opennebula.flower.one_image:
    name: flower-appliance-1.0
    path: https://images.example.com/flower-appliance-1.0.qcow2
    format: qcow2
    dev_prefix: vd
    wait_timeout: 3600
  register: appliance

- name: Show its id
  ansible.builtin.debug:
    var: appliance.image.id
'''

RETURN = r'''
image:
  description: The image (null when absent, or when it would be registered in check mode).
  type: dict
  returned: always
  sample: {"id": 7, "name": "flower-appliance-1.0", "state": "READY", "type": "0", "size": "2252", "path": "https://...",
           "source": "/var/lib/one/datastores/1/3f...", "format": "qcow2", "datastore_id": 1, "error": null}
'''

from ansible_collections.opennebula.flower.plugins.module_utils._one_connection import ONED
from ansible_collections.opennebula.flower.plugins.module_utils._one_image import ImageError, ensure_image
from ansible_collections.opennebula.flower.plugins.module_utils._one_module import OpenNebulaModule
from ansible_collections.opennebula.flower.plugins.module_utils._waiter import Waiter, wait_argument_spec, wait_options


def image_attributes(p):
    attrs = dict(p['attributes'] or {})
    attrs.update(TYPE=p['type'], PERSISTENT='YES' if p['persistent'] else 'NO')
    for option, key in (('path', 'PATH'), ('format', 'FORMAT'), ('size', 'SIZE'), ('dev_prefix', 'DEV_PREFIX'),
                        ('description', 'DESCRIPTION')):
        if p[option] is not None:
            attrs[key] = p[option]
    if p['size'] is not None and p['path'] is None:
        attrs.pop('FORMAT', None)
    return attrs


class ImageModule(OpenNebulaModule):
    connection = ONED
    module_kwargs = dict(required_if=[('state', 'present', ['path', 'size'], True)])
    fails_with = (ImageError, ValueError)

    def options(self):
        options = wait_argument_spec()
        options.update(
            name=dict(type='str', required=True),
            state=dict(type='str', choices=['present', 'absent'], default='present'),
            path=dict(type='str'),
            type=dict(type='str', choices=['OS', 'CDROM', 'DATABLOCK', 'KERNEL', 'RAMDISK', 'CONTEXT'], default='OS'),
            format=dict(type='str', default='qcow2'),
            size=dict(type='int'),
            persistent=dict(type='bool', default=False),
            dev_prefix=dict(type='str'),
            description=dict(type='str'),
            datastore_id=dict(type='int', default=1),
            attributes=dict(type='dict'),
        )
        return options

    def action(self):
        return 'Image %s' % self.params['name']

    def failure(self, exc):
        return dict(image=exc.image, changed=exc.changed) if isinstance(exc, ImageError) else {}

    def run(self, client):
        p = self.params
        result = ensure_image(client.xmlrpc(), Waiter(), p['name'], p['state'], image_attributes(p),
                              p['datastore_id'], p['wait'], wait_options(p), self.module.check_mode)
        image = result['image']
        present_before = image is not None and (p['state'] == 'absent' or not result['changed'])
        before = {'name': p['name'], 'state': image['state']} if present_before else {}
        after = {} if p['state'] == 'absent' else {'name': p['name'], 'state': image['state'] if image else 'READY'}
        result['diff'] = dict(before=before, after=after)
        return result


def main():
    ImageModule().execute()


if __name__ == '__main__':
    main()
