# -*- coding: utf-8 -*-
# Copyright: opennebula.flower contributors
# Apache License 2.0 (see LICENSE or https://www.apache.org/licenses/LICENSE-2.0)
"""How a SuperNode appliance finds its SuperLink and its data partition in the OneFlow service.

The SuperLink publishes FL_ENDPOINT, FL_CA_CERT (PEM), FL_VERSION, FL_TLS and FL_READY=YES in its
USER_TEMPLATE; a failed SuperLink publishes FL_READY=NO and FL_ERROR. Peers' attributes are only in
``GET /service?extended=true``, which ``service_roles`` decodes.
"""

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

import re
import time

from ansible_collections.opennebula.flower.plugins.module_utils._onegate import service_roles
from ansible_collections.opennebula.flower.plugins.module_utils._waiter import ABSENT, StateTable, Waiter, WaitTimeout

_NODE_NAME = re.compile(r'^(?P<role>.+)_(?P<index>[0-9]+)_\(service_[0-9]+\)$')


class DiscoveryError(Exception):
    """The SuperLink will not become usable (it reported an error, or the versions differ)."""


class DiscoveryTimeout(Exception):
    pass


def _raw_roles(service_doc):
    return ((service_doc or {}).get('SERVICE') or {}).get('roles') or []


def superlink_vms(service_doc, role_name):
    """The nodes of the SuperLink role, as ``service_roles`` decodes them."""
    return [node for role in service_roles(service_doc) if role['name'] == role_name for node in role['nodes']]


def superlink_state(service_doc, role_name):
    """``None`` while waiting, else the published connection; raises DiscoveryError on FL_READY=NO."""
    for node in superlink_vms(service_doc, role_name):
        attrs = node['user_template']
        if attrs.get('FL_READY') == 'NO' and attrs.get('FL_ERROR'):
            raise DiscoveryError('the SuperLink (VM %s) reported FL_ERROR: %s' % (node['id'], attrs['FL_ERROR']))
        if attrs.get('FL_READY') == 'YES' and attrs.get('FL_ENDPOINT'):
            return {
                'vm_id': node['id'],
                'endpoint': attrs['FL_ENDPOINT'],
                'ca_cert': attrs.get('FL_CA_CERT') or '',
                'flower_version': attrs.get('FL_VERSION', ''),
                'tls': attrs.get('FL_TLS', 'YES') == 'YES',
                'auth': attrs.get('FL_AUTH', 'NO') == 'YES',
                'enrolled': [str(i) for i in attrs.get('FL_ENROLLED') or []],
            }
    return None


def enrolled(vm_id):
    """A readiness test: the SuperLink runs without node authentication, or lists ``vm_id`` in FL_ENROLLED."""
    return lambda state: not state['auth'] or str(vm_id) in state['enrolled']


# Once the SuperLink is ready, what is left (its enrollment service registering this node's key) takes seconds.
ACCEPT_POLL_INTERVAL = 1
# A SuperLink VM that is there but not ready yet is booting (OneFlow deploys both roles together): it publishes
# FL_READY within seconds, so a backoff grown meanwhile would only delay this node. The backoff is for no SuperLink.
BOOTING_POLL_INTERVAL = 2


# What one look at the service shows: the role has no SuperLink VM (ABSENT), one that has not published
# FL_READY=YES yet (BOOTING), a ready one that ``accept`` does not take yet (WAITING), or one it takes (READY).
SUPERLINK_READY = StateTable('SuperLink ready', success=['READY'], transitional=[ABSENT, 'BOOTING', 'WAITING'])


def discovery_state(service_doc, superlink, role_name, accept=None):
    """The SUPERLINK_READY state of a look that found ``superlink`` (``superlink_state``) in ``service_doc``."""
    if superlink is None:
        return 'BOOTING' if superlink_vms(service_doc, role_name) else ABSENT
    return 'READY' if accept is None or accept(superlink) else 'WAITING'


def next_poll(state, backoff_delay):
    """Seconds to the next attempt: short once the SuperLink is ready or booting, else the backoff's delay."""
    if state == 'WAITING':
        return ACCEPT_POLL_INTERVAL
    if state == 'BOOTING':
        return min(BOOTING_POLL_INTERVAL, backoff_delay)
    return backoff_delay


def wait_for_superlink(get_service, role_name, timeout, backoff, max_backoff, accept=None, clock=time.monotonic,
                       sleep=time.sleep):
    """Poll until the SuperLink is ready (and ``accept(state)``). Returns ``(state, service_doc, attempts)``,
    ``state`` as ``superlink_state`` reads it.

    The backoff ('exponential': 1, 2, 4, ... seconds up to ``max_backoff``; 'fixed': always ``max_backoff``, both
    without jitter) applies while the role has no SuperLink VM (``next_poll``).
    """
    attempts = [0]

    def look():
        attempts[0] += 1
        doc = get_service()
        return doc, superlink_state(doc, role_name)

    exponential = backoff == 'exponential'
    try:
        doc, superlink = Waiter(sleep=sleep, clock=clock).wait(
            look, lambda seen: discovery_state(seen[0], seen[1], role_name, accept), SUPERLINK_READY,
            timeout=timeout, delay=min(1, max_backoff) if exponential else max_backoff, max_delay=max_backoff,
            backoff=2 if exponential else 1, jitter=0, next_delay=next_poll)
    except WaitTimeout as exc:
        superlink = exc.resource[1]
        if superlink is None:
            raise DiscoveryTimeout('no SuperLink in role %r published FL_READY=YES in OneGate within %s s '
                                   '(%d attempts)' % (role_name, timeout, attempts[0]))
        raise DiscoveryTimeout('the SuperLink (VM %s) did not enroll this node within %s s (%d attempts); '
                               'its FL_ENROLLED lists VMs %s' % (superlink['vm_id'], timeout, attempts[0],
                                                                 ', '.join(superlink['enrolled']) or 'none'))
    return superlink, doc, attempts[0]


def node_partition(service_doc, vm_id, num_partitions=0):
    """``(partition_id, num_partitions)`` of VM ``vm_id``: its index in the role's VM names
    (``<role>_<index>_(service_<id>)``, which OneFlow never reuses while the service lives) out of
    ``num_partitions`` (the service template sets it to the role's max_vms, so scaling the role does not move
    the other nodes' partitions), or else the role's cardinality now. OneGate does not show max_vms."""
    for role in _raw_roles(service_doc):
        for node in role.get('nodes') or []:
            vm = (node.get('vm_info') or {}).get('VM') or {}
            if str(node.get('deploy_id', vm.get('ID'))) != str(vm_id):
                continue
            match = _NODE_NAME.match(vm.get('NAME') or '')
            if not match:
                raise DiscoveryError('VM %s is named %r, not <role>_<index>_(service_<id>); set '
                                     'ONEAPP_FL_NODE_CONFIG explicitly' % (vm_id, vm.get('NAME')))
            index = int(match.group('index'))
            total = int(num_partitions or role.get('cardinality') or 0)
            if index >= total:
                raise DiscoveryError('node index %d is not below the number of partitions %d (role %s, cardinality '
                                     '%s); raise ONEAPP_FL_NUM_PARTITIONS' % (index, total, role.get('name'),
                                                                              role.get('cardinality')))
            return index, total
    raise DiscoveryError('VM %s is not a node of its OneFlow service' % vm_id)
