# -*- coding: utf-8 -*-
# Copyright: opennebula.flower contributors
# Apache License 2.0 (see LICENSE or https://www.apache.org/licenses/LICENSE-2.0)
"""A VM template present with exactly the given attributes, or absent."""

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

from ansible_collections.opennebula.flower.plugins.module_utils._one_documents import find_by_name
from ansible_collections.opennebula.flower.plugins.module_utils._one_template_syntax import (
    normalise_template, parse_template, render_template,
)


def ensure_vm_template(one, name, template=None, state='present', check_mode=False):
    """A VM template present with exactly ``template`` (dict or template text), or absent.

    Returns ``{changed, id, template, diff}`` with the normalised attributes before and after.
    """
    existing = find_by_name(one.template_pool(), name)
    before = {}
    if existing is not None:
        before = normalise_template(one.template_info(int(existing['ID'])).get('TEMPLATE') or {})
        if not isinstance(before, dict):
            before = {}
    if state == 'absent':
        if existing is None:
            return dict(changed=False, id=None, template=None, diff=dict(before={}, after={}))
        if not check_mode:
            one.template_delete(int(existing['ID']))
        return dict(changed=True, id=int(existing['ID']), template=None, diff=dict(before=before, after={}))
    desired = parse_template(template) if isinstance(template, str) else dict(template or {})
    desired = normalise_template(desired)
    desired.pop('NAME', None)
    diff = dict(before=before, after=desired)
    if existing is not None and before == desired:
        return dict(changed=False, id=int(existing['ID']), template=before, diff=diff)
    if check_mode:
        return dict(changed=True, id=int(existing['ID']) if existing is not None else None, template=desired,
                    diff=diff)
    if existing is None:
        template_id = one.template_allocate(render_template(dict(NAME=name, **desired)))
    else:
        template_id = int(existing['ID'])
        one.template_update(template_id, render_template(desired), merge=False)
    return dict(changed=True, id=template_id, template=desired, diff=diff)
