# -*- coding: utf-8 -*-
# Copyright: opennebula.flower contributors
# Apache License 2.0 (see LICENSE or https://www.apache.org/licenses/LICENSE-2.0)
"""The service's registrations: the SuperLink registers the keys its own OneFlow service's SuperNode VMs
published in OneGate (FL_NODE_PUBKEY), and unregisters the keys of VMs that left the service. The appliance's
enrollment service (``_appliance_enrollment_watch``) and the ``flower_service_registrations`` module both do it
through ``reconcile``.

Only VMs listed in the SuperLink's own service count, so a machine outside the service cannot get a key
registered, whatever it presents. The record (``{vm id: public key}``, the appliance's ``enrolled.json``)
remembers what was registered, so a VM that left can be unregistered although OneGate no longer lists it.
"""

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

import json
import os
import tempfile

from ansible_collections.opennebula.flower.plugins.module_utils._flwr_registration import (
    Registration, RegistrationError, key_fingerprint)
from ansible_collections.opennebula.flower.plugins.module_utils._onegate import service_roles

GONE_STATES = ('DONE', '6')


def wanted_keys(service_doc, role_name):
    """``{vm id: public key}`` of the role's live VMs that published a well-formed FL_NODE_PUBKEY.

    Returns ``(wanted, rejected)``; rejected maps a VM id to why its key was not taken.
    """
    wanted, rejected = {}, {}
    for role in service_roles(service_doc):
        if role['name'] != role_name:
            continue
        for node in role['nodes']:
            if str(node.get('state')) in GONE_STATES:
                continue
            key = str(node['user_template'].get('FL_NODE_PUBKEY') or '').strip()
            if not key:
                continue
            try:
                key_fingerprint(key)
            except RegistrationError as exc:
                rejected[str(node['id'])] = str(exc)
                continue
            wanted[str(node['id'])] = key
    return wanted, rejected


def plan(registered, wanted):
    """``(to_add, to_remove)``: VM ids whose key is new or changed, and registered entries to unregister."""
    to_add = sorted((vm for vm, key in wanted.items() if registered.get(vm) != key), key=int)
    to_remove = sorted((vm for vm, key in registered.items() if wanted.get(vm) != key), key=int)
    return to_add, to_remove


class RegistrationsFile(object):
    def __init__(self, path):
        self.path = path

    def load(self):
        if not os.path.exists(self.path):
            return {}
        with open(self.path) as handle:
            return json.load(handle)

    def save(self, entries):
        fd, tmp = tempfile.mkstemp(dir=os.path.dirname(os.path.abspath(self.path)), prefix='.enrolled-')
        with os.fdopen(fd, 'w') as handle:
            json.dump(entries, handle, indent=2, sort_keys=True)
        os.chmod(tmp, 0o600)
        os.rename(tmp, self.path)


def reconcile(service_doc, role_name, record, cli, registry, check_mode=False):
    """Bring the SuperLink's registered keys in line with the service; ``record`` is a RegistrationsFile.
    Returns a result dict, whose ``enrolled`` (the VM ids registered after it) is what FL_ENROLLED publishes."""
    registered = record.load()
    wanted, rejected = wanted_keys(service_doc, role_name)
    to_add, to_remove = plan(registered, wanted)
    added, removed, failed = [], [], {}
    for vm in to_remove:
        try:
            Registration(cli, registry, registered[vm]).ensure_absent(check_mode)
        except RegistrationError as exc:
            failed[vm] = str(exc)
            continue
        removed.append(vm)
        if not check_mode:
            del registered[vm]
    for vm in to_add:
        try:
            Registration(cli, registry, wanted[vm]).ensure_present(check_mode)
        except RegistrationError as exc:
            failed[vm] = str(exc)
            continue
        added.append(vm)
        if not check_mode:
            registered[vm] = wanted[vm]
    if (added or removed) and not check_mode:
        record.save(registered)
    # In check mode `registered` is unchanged; this is what it would hold.
    after = (set(registered) - set(removed)) | set(added)
    return dict(changed=bool(added or removed), added=added, removed=removed, rejected=rejected, failed=failed,
                enrolled=sorted(after, key=int))
