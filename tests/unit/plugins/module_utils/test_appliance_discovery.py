# -*- coding: utf-8 -*-
# Copyright: opennebula.flower contributors
# Apache License 2.0 (see LICENSE or https://www.apache.org/licenses/LICENSE-2.0)
"""How often a SuperNode asks OneGate for its SuperLink: backing off only while the role has no SuperLink VM."""

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

from ansible_collections.opennebula.flower.plugins.module_utils._appliance_discovery import (
    ACCEPT_POLL_INTERVAL, BOOTING_POLL_INTERVAL, DiscoveryTimeout, enrolled, wait_for_superlink)
from ansible_collections.opennebula.flower.plugins.module_utils._onegate import encode_value
from ansible_collections.opennebula.flower.tests.unit.plugins.module_utils.fake_time import FakeTime


def service(superlinks):
    """A service document whose superlink role has one VM per entry (its USER_TEMPLATE)."""
    nodes = [{'deploy_id': 10 + i, 'vm_info': {'VM': {'ID': str(10 + i), 'USER_TEMPLATE': attrs}}}
             for i, attrs in enumerate(superlinks)]
    return {'SERVICE': {'roles': [{'name': 'superlink', 'cardinality': len(nodes), 'nodes': nodes}]}}


READY = {'FL_READY': 'YES', 'FL_ENDPOINT': '10.0.0.10:9092', 'FL_AUTH': 'YES', 'FL_ENROLLED': encode_value(['7'])}


def wait(docs, **args):
    """Serve ``docs`` one per attempt (the last one forever); return (result or exception, sleeps)."""
    docs, fake = list(docs), FakeTime()

    def get_service():
        return docs.pop(0) if len(docs) > 1 else docs[0]

    args = dict(dict(role_name='superlink', timeout=300, backoff='exponential', max_backoff=60), **args)
    try:
        result = wait_for_superlink(get_service, clock=fake.clock, sleep=fake.sleep, **args)
    except DiscoveryTimeout as exc:
        result = exc
    return result, fake.sleeps


def test_without_a_superlink_vm_the_delays_double_up_to_the_cap():
    result, sleeps = wait([service([])], timeout=100, max_backoff=16)
    assert isinstance(result, DiscoveryTimeout) and 'published FL_READY=YES' in str(result)
    assert sleeps[:7] == [1, 2, 4, 8, 16, 16, 16]


def test_a_booting_superlink_vm_is_polled_every_few_seconds_whatever_the_backoff_grew_to():
    docs = [service([])] * 6 + [service([{}])] * 5 + [service([READY])]
    (state, _doc, attempts), sleeps = wait(docs)
    assert state['endpoint'] == '10.0.0.10:9092' and attempts == 12
    assert sleeps == [1, 2, 4, 8, 16, 32] + [BOOTING_POLL_INTERVAL] * 5


def test_a_fixed_backoff_shorter_than_the_booting_interval_is_kept():
    _result, sleeps = wait([service([{}])] * 3 + [service([READY])], backoff='fixed', max_backoff=1)
    assert sleeps == [1, 1, 1]


def test_once_ready_the_wait_for_enrollment_polls_every_second():
    listed = dict(READY, FL_ENROLLED=encode_value(['7', '3']))
    docs = [service([READY])] * 4 + [service([listed])]
    (state, _doc, _attempts), sleeps = wait(docs, accept=enrolled(3))
    assert state['enrolled'] == ['7', '3']
    assert sleeps == [ACCEPT_POLL_INTERVAL] * 4
