# -*- coding: utf-8 -*-
# Copyright: opennebula.flower contributors
# Apache License 2.0 (see LICENSE or https://www.apache.org/licenses/LICENSE-2.0)
"""_waiter: state tables, fail fast, timeout and backoff on an injected clock (the domains' tables are tested beside
their clients)."""

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

import pytest

from ansible_collections.opennebula.flower.plugins.module_utils._waiter import (
    StateTable, Waiter, WaitFailure, WaitTimeout,
)
from ansible_collections.opennebula.flower.tests.unit.plugins.module_utils.fake_time import FakeTime

DEPLOYED = StateTable('deployed', success=['RUNNING'], failure=['FAILED_*'],
                      transitional=['PENDING', 'DEPLOYING', 'DEPLOYING_NETS'])


def _waiter(t, rand=1.0):
    return Waiter(sleep=t.sleep, clock=t.clock, rand=lambda: rand)


def _sequence(states):
    it = iter(states)
    last = [None]

    def fetch():
        try:
            last[0] = next(it)
        except StopIteration:
            pass
        return {'state': last[0]}
    return fetch


def test_success_after_transitional_states_with_capped_backoff():
    t = FakeTime()
    fetch = _sequence(['PENDING', 'DEPLOYING_NETS', 'DEPLOYING', 'DEPLOYING', 'DEPLOYING', 'RUNNING'])
    result = _waiter(t).wait(fetch, lambda r: r['state'], DEPLOYED, timeout=100, delay=1, max_delay=3,
                             backoff=2)
    assert result == {'state': 'RUNNING'}
    assert t.sleeps == [1, 2, 3, 3, 3]


def test_jitter_shortens_the_delay_by_at_most_a_quarter():
    t = FakeTime()
    _waiter(t, rand=0.0).wait(_sequence(['PENDING', 'RUNNING']), lambda r: r['state'], DEPLOYED, delay=4)
    assert t.sleeps == [3.0]


def test_failure_state_fails_fast_with_detail():
    t = FakeTime()
    fetch = _sequence(['DEPLOYING', 'FAILED_DEPLOYING'])
    with pytest.raises(WaitFailure) as info:
        _waiter(t).wait(fetch, lambda r: r['state'], DEPLOYED, describe=lambda r: 'log: VM 3 BOOT_FAILURE')
    assert info.value.state == 'FAILED_DEPLOYING'
    assert 'FAILED_DEPLOYING' in info.value.message and 'BOOT_FAILURE' in info.value.message
    assert len(t.sleeps) == 1


def test_timeout_never_sleeps_past_the_deadline():
    t = FakeTime()
    with pytest.raises(WaitTimeout) as info:
        _waiter(t).wait(_sequence(['PENDING']), lambda r: r['state'], DEPLOYED, timeout=10, delay=4, backoff=1)
    assert info.value.state == 'PENDING'
    assert t.sleeps == [4, 4, 2] and t.now == 10


def test_without_jitter_each_pause_is_the_whole_step():
    t = FakeTime()
    _waiter(t, rand=0.0).wait(_sequence(['PENDING', 'PENDING', 'RUNNING']), lambda r: r['state'], DEPLOYED,
                              delay=4, backoff=1.5, jitter=0)
    assert t.sleeps == [4, 6]


def test_next_delay_sets_the_pause_per_state_while_the_backoff_keeps_growing():
    t, steps = FakeTime(), []

    def next_delay(state, step):
        steps.append(step)
        return 0.5 if state == 'DEPLOYING' else step

    fetch = _sequence(['PENDING', 'PENDING', 'DEPLOYING', 'DEPLOYING', 'PENDING', 'RUNNING'])
    _waiter(t).wait(fetch, lambda r: r['state'], DEPLOYED, delay=1, backoff=2, max_delay=8, next_delay=next_delay)
    assert steps == [1, 2, 4, 8, 8]
    assert t.sleeps == [1, 2, 0.5, 0.5, 8]


def test_next_delay_never_sleeps_past_the_deadline():
    t = FakeTime()
    with pytest.raises(WaitTimeout):
        _waiter(t).wait(_sequence(['PENDING']), lambda r: r['state'], DEPLOYED, timeout=3,
                        next_delay=lambda state, step: 10)
    assert t.sleeps == [3] and t.now == 3


def test_unknown_state_fails_unless_table_retries():
    t = FakeTime()
    with pytest.raises(WaitFailure):
        _waiter(t).wait(_sequence(['WEIRD']), lambda r: r['state'], DEPLOYED)
    table = StateTable('x', success=['OK'], unknown='retry')
    assert _waiter(t).wait(_sequence(['WEIRD', 'OK']), lambda r: r['state'], table) == {'state': 'OK'}


@pytest.mark.parametrize('state,verdict', [
    ('ACTIVE/RUNNING', 'success'), ('ACTIVE/BOOT', 'retry'), ('PENDING', 'retry'),
    ('ACTIVE/BOOT_FAILURE', 'failure'), ('ACTIVE/PROLOG_FAILURE', 'failure'), ('DONE', 'failure'),
])
def test_failure_patterns_win_over_the_others(state, verdict):
    table = StateTable('VM running', success=['ACTIVE/RUNNING'], failure=['*/*_FAILURE', 'DONE*'],
                       transitional=['PENDING*', 'ACTIVE/*'])
    assert table.classify(state) == verdict
