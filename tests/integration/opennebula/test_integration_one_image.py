# -*- coding: utf-8 -*-
# Copyright: opennebula.flower contributors
# Apache License 2.0 (see LICENSE or https://www.apache.org/licenses/LICENSE-2.0)
"""one_image: register, wait LOCKED -> READY, fail on ERROR, time out, delete."""

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

from ansible_collections.opennebula.flower.plugins.modules import one_image
from tests.integration.opennebula.conftest import FAST_POLL, sim_args


def test_register_datablock_sequence(backend, run_module):
    name = backend.name('fl-data')
    args = dict(backend.args, name=name, type='DATABLOCK', size=10, description='FL scratch', **backend.poll)
    check = run_module(one_image, args, check_mode=True, diff=True)
    assert check['changed'] and check['image'] is None and check['diff'] == {'before': {}, 'after': {
        'name': name, 'state': 'READY'}}
    created = run_module(one_image, args)
    assert created['changed'] and created['image']['state'] == 'READY' and created['image']['name'] == name
    again = run_module(one_image, args)
    assert not again['changed'] and again['image']['id'] == created['image']['id']
    absent = dict(backend.args, name=name, state='absent', **backend.poll)
    assert run_module(one_image, absent, check_mode=True)['changed']
    assert run_module(one_image, absent)['changed']
    assert not run_module(one_image, absent)['changed']


def test_qcow2_from_url_is_locked_then_ready(sim, run_module):
    args = dict(sim_args(sim), name='flower-appliance', path='http://127.0.0.1:1/flower.qcow2', dev_prefix='vd',
                **FAST_POLL)
    result = run_module(one_image, args)
    assert result['changed'] and result['image']['state'] == 'READY'
    info = result['image']
    assert info['format'] == 'qcow2' and info['path'] == 'http://127.0.0.1:1/flower.qcow2'


def test_image_error_fails_with_error_text(sim, run_module):
    sim.inject('image_error')
    args = dict(sim_args(sim), name='broken', path='/var/tmp/broken.qcow2', **FAST_POLL)
    result = run_module(one_image, args)
    assert result['failed'] and result['changed']
    assert 'ERROR' in result['msg'] and 'Error copying image' in result['msg']
    assert result['image']['state'] == 'ERROR'
    # Re-running does not register a second image; it reports the error of the existing one.
    again = run_module(one_image, args)
    assert again['failed'] and not again['changed'] and 'state=absent' in again['msg']
    assert run_module(one_image, dict(sim_args(sim), name='broken', state='absent', **FAST_POLL))['changed']


def test_wait_timeout(sim, run_module):
    sim.auto_advance(0)
    args = dict(sim_args(sim), name='slow', type='DATABLOCK', size=1, poll_interval=0.02, max_poll_interval=0.05,
                wait_timeout=1)
    result = run_module(one_image, args)
    assert result['failed'] and result['changed'] and 'timed out' in result['msg'] and 'LOCKED' in result['msg']
