# -*- coding: utf-8 -*-
# Copyright: opennebula.flower contributors
# Apache License 2.0 (see LICENSE or https://www.apache.org/licenses/LICENSE-2.0)
"""The SuperLink appliance's enrollment service: registers a SuperNode's published key within seconds.

Enrollment is the appliance's name for the whole exchange: a SuperNode publishes its key, this service
registers the keys of the service's SuperNodes (``_service_registrations.reconcile``, what the
``flower_service_registrations`` module does once) and publishes the VM ids as ``FL_ENROLLED``.

OneGate has no change notification, so the service polls ``GET /service?extended=true``: every
``min_interval`` seconds while a SuperNode of the role has not been enrolled yet (or the role has fewer VMs
than its cardinality), backing off to ``max_interval`` while nothing changes. Each pass reconciles the keys
(``reconcile``) and publishes ``FL_ENROLLED``. Failures are logged (the journal, under systemd) and retried
with the same backoff; they never stop the service.

Run as ``python -m`` of this module, or through ``main`` from the appliance's
``opennebula-flower-enroll`` script.
"""

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

import argparse
import json
import os
import subprocess
import sys
import time

from ansible_collections.opennebula.flower.plugins.module_utils._flwr import FlwrCli, FlwrError
from ansible_collections.opennebula.flower.plugins.module_utils._flwr_registration import Registry
from ansible_collections.opennebula.flower.plugins.module_utils._http import APIError
from ansible_collections.opennebula.flower.plugins.module_utils._onegate_connection import onegate_client, onegate_retry_policy
from ansible_collections.opennebula.flower.plugins.module_utils._onegate import (
    ensure_vm_attributes, service_roles, user_template)
from ansible_collections.opennebula.flower.plugins.module_utils._service_registrations import (
    GONE_STATES, RegistrationsFile, reconcile)


def pending(service_doc, role_name, enrolled):
    """True while the role has fewer VMs than its cardinality or a live VM that is not enrolled."""
    for role in service_roles(service_doc):
        if role['name'] != role_name:
            continue
        if len(role['nodes']) < int(role.get('cardinality') or 0):
            return True
        if any(str(n['id']) not in enrolled for n in role['nodes'] if str(n.get('state')) not in GONE_STATES):
            return True
    return False


class Backoff(object):
    """``min_interval`` after activity, doubling up to ``max_interval`` while idle."""

    def __init__(self, min_interval, max_interval):
        self.min_interval = min_interval
        self.max_interval = max_interval
        self.current = min_interval

    def next(self, busy):
        self.current = self.min_interval if busy else min(self.max_interval, self.current * 2)
        return self.current


def enrollment_pass(client, cli, role_name, record, registry, published=None):
    """One reconciliation, and the publication of FL_ENROLLED unless it is ``published`` already (what the last
    pass published), so an idle pass costs one OneGate request. Returns ``(result, busy)``."""
    doc = client.get_service(extended=True)
    result = reconcile(doc, role_name, record, cli, registry)
    if result['enrolled'] != published:
        ensure_vm_attributes(client, 'present', {'FL_ENROLLED': result['enrolled']})
    busy = bool(result['changed'] or result['failed'] or pending(doc, role_name, result['enrolled']))
    return result, busy


def watch(client, cli, role_name, record, registry, backoff, log, sleep=time.sleep, passes=None):
    """Run enrollment passes until ``passes`` have run (forever when None)."""
    done, published = 0, None
    while passes is None or done < passes:
        done += 1
        try:
            result, busy = enrollment_pass(client, cli, role_name, record, registry, published)
        except (APIError, FlwrError) as exc:
            log('enrollment pass failed, retrying in %.1f s: %s' % (backoff.next(False), exc))
        else:
            published = result['enrolled']
            if result['added'] or result['removed']:
                log('enrolled VMs %s (added %s, removed %s)' % (
                    ', '.join(result['enrolled']) or 'none', ', '.join(result['added']) or 'none',
                    ', '.join(result['removed']) or 'none'))
            for vm, why in sorted(result['failed'].items()):
                log('VM %s: enrollment failed: %s' % (vm, why))
            for vm, why in sorted(result['rejected'].items()):
                log('VM %s: published key rejected: %s' % (vm, why))
            backoff.next(busy)
        if passes is None or done < passes:
            sleep(backoff.current)


def _run_command(argv, environ_update=None):
    env = dict(os.environ, **environ_update) if environ_update else None
    proc = subprocess.run(argv, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, universal_newlines=True,
                          check=False)
    return proc.returncode, proc.stdout, proc.stderr


def _log(message):
    sys.stderr.write(message + '\n')
    sys.stderr.flush()


def main(argv=None):
    parser = argparse.ArgumentParser(description='Enroll the SuperNodes of this OneFlow service continuously.')
    parser.add_argument('--connection-file', required=True, help='the SuperLink connection JSON the appliance wrote')
    parser.add_argument('--supernode-role', default='supernode')
    parser.add_argument('--min-interval', type=float, default=0.5)
    parser.add_argument('--max-interval', type=float, default=4.0)
    args = parser.parse_args(argv)
    with open(args.connection_file) as handle:
        superlink = json.load(handle)
    client = onegate_client({}, retry=onegate_retry_policy({}, _log))
    if 'SERVICE_ID' not in user_template(client.get_vm()):
        _log('this VM is not part of a OneFlow service: nothing to enroll')
        return 0
    record = RegistrationsFile(superlink['home'] + '/enrolled.json')
    root = superlink.get('root_certificates') or None
    with FlwrCli(_run_command, superlink['flwr'], superlink['control_address'], root, insecure=not root) as cli:
        _log('watching role %s of this service (every %.1f-%.1f s)' % (args.supernode_role, args.min_interval,
                                                                       args.max_interval))
        watch(client, cli, args.supernode_role, record, Registry(superlink['registry']),
              Backoff(args.min_interval, args.max_interval), _log)
    return 0


if __name__ == '__main__':
    raise SystemExit(main())
