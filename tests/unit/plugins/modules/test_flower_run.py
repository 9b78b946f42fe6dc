# -*- coding: utf-8 -*-
# Copyright: opennebula.flower contributors
# Apache License 2.0 (see LICENSE or https://www.apache.org/licenses/LICENSE-2.0)
"""flower_run against the fake ``flwr``: check mode, submit and wait, reuse vs force, diff, failed run with its
log, timeout, a completed run whose rounds got fewer results than the minimum."""

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

import json
import time

import pytest

from ansible_collections.opennebula.flower.plugins.module_utils._flwr_run import run_fingerprint
from ansible_collections.opennebula.flower.plugins.modules import flower_run
from ansible_collections.opennebula.flower.tests.unit.plugins.modules.conftest_flwr import (  # noqa: F401 pylint: disable=unused-import
    RUN_LOG, fake_flwr)

RUN_CONFIG = {'num-server-rounds': 3, 'fraction-train': 0.5, 'use-dp': False, 'output-dir': '/tmp/out dir'}


@pytest.fixture
def app(tmp_path):
    root = tmp_path / 'digits'
    (root / 'digits').mkdir(parents=True)
    (root / 'pyproject.toml').write_text('[project]\nname = "digits"\nversion = "1.0.0"\n')
    (root / 'digits' / 'server_app.py').write_text('ROUNDS = 3\n')
    return root


@pytest.fixture
def flower_run_(run_module, fake_flwr, app, tmp_path):
    record = str(tmp_path / 'last-run.json')

    def _run(check_mode=False, diff=False, **args):
        args = fake_flwr.args(**args)
        args.setdefault('app', str(app))
        args.setdefault('record', record)
        args.setdefault('poll_interval', 0.01)
        args.setdefault('timeout', 30)
        return run_module(flower_run, args, check_mode=check_mode, diff=diff)
    _run.record = record
    return _run


def read_json(path):
    with open(path) as handle:
        return json.load(handle)


def run_ids(fake_flwr):
    return sorted(int(run_id) for run_id in fake_flwr.state()['runs'])


def test_app_without_pyproject_fails_naming_the_option(flower_run_, fake_flwr, tmp_path):
    result = flower_run_(app=str(tmp_path))
    assert result['failed'] is True
    assert result['msg'] == 'app: %s is not a Flower App directory (no pyproject.toml)' % tmp_path
    assert fake_flwr.calls() == []


def test_root_certificates_required_without_insecure(run_module, fake_flwr, app):
    args = fake_flwr.args(app=str(app))
    del args['insecure']
    result = run_module(flower_run, args)
    assert result['failed'] is True and result['msg'].startswith('root_certificates is required unless insecure=true')
    assert fake_flwr.calls() == []


def test_check_mode_predicts_a_run_and_submits_nothing(flower_run_, fake_flwr, app):
    before = fake_flwr.raw_state()
    result = flower_run_(check_mode=True, diff=True, run_config=RUN_CONFIG)
    assert result['changed'] is True and result['reused'] is False and result['run_id'] is None
    assert result['diff'] == {'before': {}, 'after': {
        'run_id': None, 'fingerprint': run_fingerprint(str(app), RUN_CONFIG, fake_flwr.address)}}
    assert fake_flwr.raw_state() == before
    assert 'run' not in fake_flwr.commands()


def test_submits_waits_records_then_reuses(flower_run_, fake_flwr, app):
    result = flower_run_(run_config=RUN_CONFIG, diff=True)
    assert not result.get('failed'), result.get('msg')
    assert result['changed'] is True and result['reused'] is False
    assert result['status'] == 'finished:completed' and result['status_details'] == 'N/A'
    assert run_ids(fake_flwr) == [result['run_id']]
    run = fake_flwr.run(result['run_id'])
    assert run['run-config'] == RUN_CONFIG  # types survive the --run-config string
    assert run['app'] == str(app)
    assert result['network_traffic'] == {'inbound-bytes': 10, 'outbound-bytes': 20, 'total-bytes': 30}
    assert result['compute_time']['total-seconds'] == 3.0 and result['fab_hash']
    # submit, follow the log stream (the fake's ends at once), then poll until finished:completed
    assert fake_flwr.commands() == ['run', 'log', 'list', 'list', 'list']
    fingerprint = run_fingerprint(str(app), RUN_CONFIG, fake_flwr.address)
    assert read_json(flower_run_.record) == {'fingerprint': fingerprint, 'run_id': result['run_id']}
    assert result['diff'] == {'before': {}, 'after': {'run_id': result['run_id'], 'fingerprint': fingerprint}}

    before = fake_flwr.raw_state()
    for check_mode in (True, False):
        again = flower_run_(run_config=RUN_CONFIG, check_mode=check_mode)
        assert again['changed'] is False and again['reused'] is True
        assert again['run_id'] == result['run_id'] and again['status'] == 'finished:completed'
    assert fake_flwr.raw_state() == before
    assert fake_flwr.commands().count('run') == 1


def test_force_trains_again(flower_run_, fake_flwr):
    first = flower_run_()
    planned = flower_run_(force=True, check_mode=True)
    assert planned['changed'] is True and planned['run_id'] is None and len(run_ids(fake_flwr)) == 1
    second = flower_run_(force=True, diff=True)
    assert second['changed'] is True and second['reused'] is False
    assert second['run_id'] != first['run_id'] and run_ids(fake_flwr) == sorted([first['run_id'], second['run_id']])
    assert second['diff']['before']['run_id'] == first['run_id']
    assert second['diff']['after']['run_id'] == second['run_id']
    assert read_json(flower_run_.record)['run_id'] == second['run_id']


@pytest.mark.parametrize('change', ['run_config', 'app_file', 'superlink_record_lost'])
def test_a_changed_definition_trains_again(flower_run_, fake_flwr, app, change):
    first = flower_run_(run_config={'num-server-rounds': 3})
    run_config = {'num-server-rounds': 3}
    if change == 'run_config':
        run_config = {'num-server-rounds': 4}
    elif change == 'app_file':
        (app / 'digits' / 'server_app.py').write_text('ROUNDS = 5\n')
    else:
        state = fake_flwr.state()
        state['runs'] = {}  # the SuperLink lost its state
        fake_flwr.write(state)
    assert flower_run_(run_config=run_config, check_mode=True)['changed'] is True
    second = flower_run_(run_config=run_config)
    assert second['changed'] is True and second['run_id'] != first['run_id']


@pytest.mark.parametrize('status', ['finished:failed', 'finished:stopped', 'running'])
def test_recorded_run_is_reused_only_when_completed(flower_run_, fake_flwr, status):
    first = flower_run_()
    state = fake_flwr.state()
    state['runs'][str(first['run_id'])].update(script=[status], index=0)
    fake_flwr.write(state)
    assert flower_run_(check_mode=True)['changed'] is True
    result = flower_run_()
    assert result['changed'] is True and result['reused'] is False and result['run_id'] != first['run_id']
    assert read_json(flower_run_.record)['run_id'] == result['run_id']


def test_failed_run_is_not_recorded(flower_run_, fake_flwr):
    fake_flwr.next_run(['running', 'finished:failed'])
    failed = flower_run_()
    assert failed['failed'] is True
    with pytest.raises(IOError):
        read_json(flower_run_.record)
    fake_flwr.next_run(['running', 'finished:completed'])
    result = flower_run_()
    assert result['changed'] is True and result['run_id'] != failed['run_id']


def test_without_record_every_call_submits(flower_run_, fake_flwr):
    first = flower_run_(record=None)
    second = flower_run_(record=None)
    assert first['changed'] is second['changed'] is True and first['run_id'] != second['run_id']


def test_failed_run_fails_with_the_log_tail(flower_run_, fake_flwr):
    log = ['line %d' % i for i in range(60)] + ['Traceback (most recent call last):', 'ValueError: bad shapes']
    fake_flwr.next_run(['pending', 'running', 'finished:failed'], log=log, details='ServerApp raised an exception')
    result = flower_run_()
    assert result['failed'] is True
    run_id = run_ids(fake_flwr)[0]
    assert result['run_id'] == run_id and result['status'] == 'finished:failed'
    head, tail = result['msg'].split('\n--- run log (tail) ---\n')
    assert head == 'run %s ended finished:failed: ServerApp raised an exception' % run_id
    assert tail.splitlines() == log[-40:]
    assert fake_flwr.commands()[-1] == 'log'
    with pytest.raises(IOError):
        read_json(flower_run_.record)


def test_timeout_fails_with_the_status_and_log(flower_run_, fake_flwr):
    fake_flwr.next_run(['running'])
    started = time.monotonic()
    result = flower_run_(timeout=0, poll_interval=0.01)
    assert time.monotonic() - started < 5
    assert result['failed'] is True and result['status'] == 'running'
    run_id = run_ids(fake_flwr)[0]
    assert result['msg'].startswith('run %s still running after 0 s (timeout)\n--- run log (tail) ---\n' % run_id)
    assert result['msg'].endswith('\n'.join(RUN_LOG))


def test_short_timeout_polls_with_backoff_until_the_deadline(flower_run_, fake_flwr):
    fake_flwr.next_run(['pending', 'running'])
    started = time.monotonic()
    result = flower_run_(timeout=1, poll_interval=0.2)
    elapsed = time.monotonic() - started
    assert result['failed'] is True and 'after 1 s (timeout)' in result['msg']
    assert 1.0 <= elapsed < 5
    # submit, the status right after, polls until the deadline, then the log; how many polls fit in the second
    # depends on the host's load (the backoff itself is tested with a fake clock in test_flwr_run.py)
    assert fake_flwr.commands().count('list') >= 1 and fake_flwr.commands()[-1] == 'log'


def test_no_wait_returns_the_pending_run(flower_run_, fake_flwr):
    result = flower_run_(wait=False)
    assert result['changed'] is True and result['status'] == 'pending'
    assert fake_flwr.commands() == ['run', 'list']
    assert read_json(flower_run_.record)['run_id'] == result['run_id']


def test_submit_failure_names_the_superlink(flower_run_, fake_flwr):
    fake_flwr.fail('run', 'Failed to start run\n[code: 3] Federation not found.')
    result = flower_run_()
    assert result['failed'] is True
    assert result['msg'].startswith('flwr failed against %s: ' % fake_flwr.address)
    assert '[code: 3] Federation not found.' in result['msg']


def test_over_tls(flower_run_, fake_flwr):
    fake_flwr.use_tls()
    result = flower_run_()
    assert not result.get('failed'), result.get('msg')
    assert result['status'] == 'finished:completed'


def test_a_completed_run_with_no_results_fails_with_the_nodes_errors(flower_run_, fake_flwr, tmp_path):
    # Every ClientApp raised: Flower logged "Received 0 results and 2 failures" and still ended the run completed.
    run_id = fake_flwr.state()['next_run_id']
    reason = "FileNotFoundError: anomaly detection: no tabular.csv in this node's data directory /d%d"
    metrics = {'num_rounds': 3, 'rounds': [], 'replies': [
        {'round': 1, 'phase': 'train', 'sent': 2, 'results': 0, 'failures': 2, 'minimum': 2,
         'errors': [{'node_id': node, 'code': 0, 'reason': reason % node} for node in (11, 12)]}]}
    output_dir = tmp_path / 'runs'
    (output_dir / str(run_id)).mkdir(parents=True)
    (output_dir / str(run_id) / 'metrics.json').write_text(json.dumps(metrics))
    result = flower_run_(output_dir=str(output_dir))
    assert result['failed'] is True and result['run_id'] == run_id and result['status'] == 'finished:completed'
    head = result['msg'].split('\n--- run log (tail) ---\n')[0]
    assert head == ('run %s ended finished:completed, but not every round trained:\nround 1 train: 0 results and 2 '
                    'failures from 2 nodes, fewer than the minimum of 2; node 11: %s; node 12: %s'
                    % (run_id, reason % 11, reason % 12))
    with pytest.raises(IOError):
        read_json(flower_run_.record)
    # The same run without output_dir: nothing to read, completed.
    assert not flower_run_(record=None).get('failed')
