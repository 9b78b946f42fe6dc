# -*- coding: utf-8 -*-
# Copyright: opennebula.flower contributors
# Apache License 2.0 (see LICENSE or https://www.apache.org/licenses/LICENSE-2.0)
"""An image registered once by name and waited for (LOCKED -> READY), or deleted."""

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

from ansible_collections.opennebula.flower.plugins.module_utils._one_documents import find_by_name
from ansible_collections.opennebula.flower.plugins.module_utils._one_errors import OneNoExistsError
from ansible_collections.opennebula.flower.plugins.module_utils._one_states import image_state_name
from ansible_collections.opennebula.flower.plugins.module_utils._waiter import ABSENT, StateTable, WaitError

IMAGE_READY = StateTable(
    'image ready',
    success=['READY', 'USED', 'USED_PERS'],
    failure=['ERROR', 'DELETE', ABSENT],
    transitional=['INIT', 'LOCKED', 'CLONE', 'LOCKED_USED', 'LOCKED_USED_PERS'],
)

IMAGE_DELETED = StateTable('image deleted', success=[ABSENT], failure=['ERROR'], transitional=['*'])


def image_summary(image):
    template = image.get('TEMPLATE') if isinstance(image.get('TEMPLATE'), dict) else {}
    return {
        'id': int(image['ID']), 'name': image.get('NAME'), 'state': image_state_name(image),
        'type': image.get('TYPE'), 'size': image.get('SIZE'), 'path': image.get('PATH'),
        'source': image.get('SOURCE'), 'format': image.get('FORMAT'),
        'datastore_id': int(image['DATASTORE_ID']) if image.get('DATASTORE_ID') not in (None, '') else None,
        'error': template.get('ERROR'),
    }


class ImageError(Exception):
    def __init__(self, message, image=None, changed=False):
        super(ImageError, self).__init__(message)
        self.message = message
        self.image = image
        self.changed = changed


def ensure_image(one, waiter, name, state='present', attrs=None, datastore_id=1, wait=True, wait_kwargs=None,
                 check_mode=False):
    """Register an image once by name and wait LOCKED -> READY, or delete it. Returns ``{changed, image}``."""
    wait_kwargs = wait_kwargs or {}
    existing = find_by_name(one.image_pool(), name)

    def fetch(image_id):
        try:
            return one.image_info(image_id)
        except OneNoExistsError:
            return None

    def state_of(image):
        return ABSENT if image is None else image_state_name(image)

    def wait_ready(image_id, changed):
        try:
            return waiter.wait(lambda: fetch(image_id), state_of,
                               IMAGE_READY, describe=lambda i: (i or {}).get('TEMPLATE', {}).get('ERROR', '')
                               if isinstance((i or {}).get('TEMPLATE'), dict) else '', **wait_kwargs)
        except WaitError as exc:
            raise ImageError('image %s: %s' % (name, exc.message),
                             image_summary(exc.resource) if exc.resource else None, changed)

    if state == 'absent':
        if existing is None:
            return dict(changed=False, image=None)
        if not check_mode:
            image_id = int(existing['ID'])
            one.image_delete(image_id)
            if wait:
                try:
                    waiter.wait(lambda: fetch(image_id), state_of, IMAGE_DELETED, **wait_kwargs)
                except WaitError as exc:
                    raise ImageError('image %s: %s' % (name, exc.message), None, True)
        return dict(changed=True, image=image_summary(existing))

    if existing is not None:
        summary = image_summary(existing)
        if summary['state'] == 'ERROR':
            raise ImageError('image %s (id %d) is in state ERROR: %s; delete it (state=absent) to register it again'
                             % (name, summary['id'], summary['error'] or 'no error text'), summary)
        if wait and IMAGE_READY.classify(summary['state']) != 'success':
            summary = image_summary(wait_ready(summary['id'], False))
        return dict(changed=False, image=summary)
    if check_mode:
        return dict(changed=True, image=None)
    image_id = one.image_allocate(dict(NAME=name, **(attrs or {})), datastore_id)
    image = wait_ready(image_id, True) if wait else one.image_info(image_id)
    return dict(changed=True, image=image_summary(image))
