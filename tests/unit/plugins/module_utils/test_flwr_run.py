# -*- coding: utf-8 -*-
# Copyright: opennebula.flower contributors
# Apache License 2.0 (see LICENSE or https://www.apache.org/licenses/LICENSE-2.0)
"""_flwr_run: the run fingerprint, the run record, reuse of a completed run, waiting (injected clock), and the
check that every round got at least the minimum of results (metrics.json ``replies``)."""

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

import json
import os
import stat

import pytest

from ansible_collections.opennebula.flower.plugins.module_utils._flower_apps import app_files
from ansible_collections.opennebula.flower.plugins.module_utils._flwr import FlwrError
from ansible_collections.opennebula.flower.plugins.module_utils._flwr_run import (
    COMPLETED, RunError, load_record, log_tail, previous_run, read_metrics, round_problems, run_fingerprint,
    save_record, summarize, wait_for_run)
from ansible_collections.opennebula.flower.tests.unit.plugins.module_utils.fake_time import FakeTime

SUPERLINK = '127.0.0.1:19092'


@pytest.fixture
def app(tmp_path):
    root = tmp_path / 'digits'
    (root / 'digits').mkdir(parents=True)
    (root / 'pyproject.toml').write_text('[project]\nname = "digits"\n')
    (root / 'digits' / 'server_app.py').write_text('SERVER = 1\n')
    (root / 'digits' / 'client_app.py').write_text('CLIENT = 1\n')
    (root / 'README.md').write_text('# digits\n')
    (root / 'LICENSE').write_text('Apache-2.0\n')
    (root / 'conf.yaml').write_text('a: 1\n')
    (root / 'data.csv').write_text('1,2\n')
    (root / 'digits' / '__pycache__').mkdir()
    (root / 'digits' / '__pycache__' / 'server_app.cpython-311.pyc').write_bytes(b'\0')
    (root / 'digits' / '__pycache__' / 'cached.py').write_text('x = 1\n')
    for hidden in ('.git', '.venv', '.cache'):
        (root / hidden).mkdir()
        (root / hidden / 'inside.py').write_text('x = 1\n')
    return root


class ScriptedCli(object):
    """get_run walks through ``statuses`` (the last one repeats); run_log returns ``log``."""

    def __init__(self, statuses, log='line 1\nline 2\n', details='N/A'):
        self.statuses = list(statuses)
        self.log = log
        self.details = details
        self.polls = 0
        self.logs = 0
        self.followed = []

    def follow_run(self, run_id, timeout):
        self.followed.append((run_id, timeout, self.polls))

    def get_run(self, run_id):
        status = self.statuses[min(self.polls, len(self.statuses) - 1)]
        self.polls += 1
        return {'run-id': str(run_id), 'status': status, 'status-details': self.details}

    def run_log(self, run_id):
        self.logs += 1
        return self.log


# app files and fingerprint

def test_app_files_are_what_a_fab_holds_in_stable_order(app):
    assert app_files(str(app)) == [
        'LICENSE', 'README.md', 'conf.yaml', 'pyproject.toml', 'digits/client_app.py', 'digits/server_app.py']


def test_fingerprint_is_stable_and_ignores_non_fab_files(app):
    first = run_fingerprint(str(app), {'a': 1, 'b': 'x'}, SUPERLINK)
    assert len(first) == 64
    (app / 'data.csv').write_text('changed\n')
    (app / 'digits' / '__pycache__' / 'cached.py').write_text('changed\n')
    (app / '.git' / 'inside.py').write_text('changed\n')
    (app / 'notes.txt').write_text('new\n')
    assert run_fingerprint(str(app), {'b': 'x', 'a': 1}, SUPERLINK) == first


@pytest.mark.parametrize('change', ['edit', 'add', 'rename', 'delete'])
def test_fingerprint_changes_with_the_app_files(app, change):
    before = run_fingerprint(str(app), {}, SUPERLINK)
    server = app / 'digits' / 'server_app.py'
    if change == 'edit':
        server.write_text('SERVER = 2\n')
    elif change == 'add':
        (app / 'digits' / 'task.py').write_text('\n')
    elif change == 'rename':
        server.rename(app / 'digits' / 'server.py')
    else:
        server.unlink()
    assert run_fingerprint(str(app), {}, SUPERLINK) != before


def test_fingerprint_changes_with_run_config_values_types_and_superlink(app):
    base = run_fingerprint(str(app), {'num-server-rounds': 3}, SUPERLINK)
    others = [
        run_fingerprint(str(app), {'num-server-rounds': 4}, SUPERLINK),
        run_fingerprint(str(app), {'num-server-rounds': '3'}, SUPERLINK),
        run_fingerprint(str(app), {'num-server-rounds': 3, 'x': True}, SUPERLINK),
        run_fingerprint(str(app), {'num-server-rounds': 3}, '127.0.0.1:19093'),
    ]
    assert base not in others and len(set(others)) == len(others)
    assert run_fingerprint(str(app), None, SUPERLINK) == run_fingerprint(str(app), {}, SUPERLINK)


# record

def test_load_record_of_nothing_or_garbage_is_none(tmp_path):
    assert load_record(None) is None
    assert load_record(str(tmp_path / 'missing.json')) is None
    (tmp_path / 'bad.json').write_text('{not json')
    assert load_record(str(tmp_path / 'bad.json')) is None


def test_save_record_is_atomic_and_round_trips(tmp_path):
    path = str(tmp_path / 'last-run.json')
    moves = []

    def atomic_move(src, dest):
        moves.append((os.path.dirname(src), os.path.basename(src), dest))
        os.rename(src, dest)

    save_record(path, {'fingerprint': 'f', 'run_id': 5341658267093349778}, atomic_move)
    assert load_record(path) == {'fingerprint': 'f', 'run_id': 5341658267093349778}
    assert moves[0][0] == str(tmp_path) and moves[0][1].startswith('.run-record-') and moves[0][2] == path
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o644
    assert sorted(os.listdir(str(tmp_path))) == ['last-run.json']


def test_summarize_maps_flwr_fields():
    run = {'run-id': '7', 'status': COMPLETED, 'status-details': 'N/A', 'fab-hash': 'abc', 'elapsed': 4.5,
           'network-traffic': {'total-bytes': 3}, 'compute-time': {'total-seconds': 1.0}}
    assert summarize(run) == dict(run_id=7, status=COMPLETED, status_details='N/A', fab_hash='abc', elapsed=4.5,
                                  network_traffic={'total-bytes': 3}, compute_time={'total-seconds': 1.0})
    assert summarize({'run-id': '0'})['run_id'] == 0


# previous_run

def test_previous_run_only_for_the_same_fingerprint_and_a_completed_run():
    record = {'fingerprint': 'f', 'run_id': 7}
    assert previous_run(ScriptedCli([COMPLETED]), None, 'f') is None
    other = ScriptedCli([COMPLETED])
    assert previous_run(other, record, 'g') is None and other.polls == 0
    assert previous_run(ScriptedCli([COMPLETED]), record, 'f')['run-id'] == '7'
    for status in ('finished:failed', 'finished:stopped', 'running', 'pending'):
        assert previous_run(ScriptedCli([status]), record, 'f') is None


def test_previous_run_the_superlink_forgot_is_none():
    class Forgetful(object):
        def get_run(self, run_id):
            raise FlwrError('run %s is not known to the SuperLink' % run_id)

    assert previous_run(Forgetful(), {'fingerprint': 'f', 'run_id': 7}, 'f') is None


# wait_for_run

def test_wait_returns_the_completed_run_and_backs_off_to_four_times_the_interval():
    t = FakeTime()
    cli = ScriptedCli(['pending'] + ['running'] * 7 + [COMPLETED])
    run = wait_for_run(cli, 7, timeout=600, poll_interval=2.0, sleep=t.sleep, clock=t.clock)
    assert run['status'] == COMPLETED and cli.polls == 9 and cli.logs == 0
    assert t.sleeps == [2.0, 3.0, 4.5, 6.75, 8.0, 8.0, 8.0, 8.0]


def test_wait_follows_the_log_stream_before_the_first_poll():
    t = FakeTime()
    cli = ScriptedCli([COMPLETED])
    wait_for_run(cli, 7, timeout=600, poll_interval=2.0, sleep=t.sleep, clock=t.clock)
    assert cli.followed == [(7, 600, 0)]
    wait_for_run(cli, 8, timeout=600, poll_interval=2.0, sleep=t.sleep, clock=t.clock, follow=False)
    assert len(cli.followed) == 1


def test_wait_on_an_already_finished_run_does_not_sleep():
    t = FakeTime()
    assert wait_for_run(ScriptedCli([COMPLETED]), 7, 10, 1.0, sleep=t.sleep, clock=t.clock)['status'] == COMPLETED
    assert t.sleeps == []


@pytest.mark.parametrize('status', ['finished:failed', 'finished:stopped'])
def test_wait_fails_fast_on_a_run_that_did_not_complete_with_its_log(status):
    t = FakeTime()
    cli = ScriptedCli(['running', status], log='Traceback\nValueError: bad data\n', details='ServerApp crashed')
    with pytest.raises(RunError) as err:
        wait_for_run(cli, 7, 600, 1.0, sleep=t.sleep, clock=t.clock)
    assert str(err.value) == 'run 7 ended %s: ServerApp crashed' % status
    assert err.value.run['status'] == status and 'ValueError: bad data' in err.value.log
    assert t.sleeps == [1.0]


def test_wait_times_out_without_sleeping_past_the_deadline():
    t = FakeTime()
    cli = ScriptedCli(['running'])
    with pytest.raises(RunError) as err:
        wait_for_run(cli, 7, timeout=10, poll_interval=2.0, sleep=t.sleep, clock=t.clock)
    assert str(err.value) == 'run 7 still running after 10 s (timeout)'
    assert err.value.run['status'] == 'running' and err.value.log.startswith('line 1')
    assert sum(t.sleeps) == pytest.approx(10.0)
    assert t.sleeps == [2.0, 3.0, 4.5, pytest.approx(0.5)]
    assert cli.polls == 5  # the last poll is at the deadline


def test_wait_uses_the_whole_timeout_even_when_shorter_than_the_interval():
    # A run that completes within the timeout is not given up on just because the next poll step is longer.
    t = FakeTime()
    cli = ScriptedCli(['running', COMPLETED])
    assert wait_for_run(cli, 7, timeout=1, poll_interval=5.0, sleep=t.sleep, clock=t.clock)['status'] == COMPLETED
    assert t.sleeps == [1.0]


def test_wait_with_zero_timeout_polls_once():
    t = FakeTime()
    cli = ScriptedCli(['pending'])
    with pytest.raises(RunError, match='still pending after 0 s'):
        wait_for_run(cli, 7, timeout=0, poll_interval=1.0, sleep=t.sleep, clock=t.clock)
    assert t.sleeps == [] and cli.polls == 1


def test_log_tail():
    text = '\n'.join('line %d' % i for i in range(100)) + '\n\n'
    assert log_tail(text, 3) == 'line 97\nline 98\nline 99'
    assert log_tail(text).splitlines()[0] == 'line 60'
    assert log_tail('') == ''


def test_record_json_is_plain(tmp_path):
    path = str(tmp_path / 'r.json')
    save_record(path, {'run_id': 1, 'fingerprint': 'x'}, os.rename)
    with open(path) as handle:
        assert json.load(handle) == {'fingerprint': 'x', 'run_id': 1}


# fewer results than the minimum fails the run

NOT_FOUND = ("FileNotFoundError: anomaly detection: no tabular.csv in this node's data directory "
             "/srv/supernode%d/data (node config data-dir)")


def step(rnd, phase, results, failed_nodes=(), minimum=2):
    errors = [{'node_id': node, 'code': 0, 'reason': NOT_FOUND % node} for node in failed_nodes]
    return {'round': rnd, 'phase': phase, 'sent': results + len(errors), 'results': results,
            'failures': len(errors), 'minimum': minimum, 'errors': errors}


def write_metrics(output_dir, run_id, metrics):
    run_dir = output_dir / str(run_id)
    run_dir.mkdir(parents=True)
    (run_dir / 'metrics.json').write_text(json.dumps(metrics))


def test_rounds_with_every_result_are_fine():
    metrics = {'num_rounds': 2, 'rounds': [{'round': 1}, {'round': 2}],
               'replies': [step(1, 'train', 2), step(1, 'evaluate', 2), step(2, 'train', 3), step(2, 'evaluate', 2)]}
    assert round_problems(metrics) == []
    # No metrics (an app that writes none, or no output_dir) means nothing to check.
    assert round_problems(None) == [] and round_problems({}) == []


@pytest.mark.parametrize('results, failed', [(0, (1, 2)), (1, (2,))])
def test_fewer_results_than_the_minimum_names_the_round_and_each_nodes_error(results, failed):
    metrics = {'num_rounds': 3, 'rounds': [], 'status': 'failed', 'error': 'round 1 train: ...',
               'replies': [step(1, 'train', results, failed)]}
    problems = round_problems(metrics)
    assert problems == ['round 1 train: %d results and %d failures from 2 nodes, fewer than the minimum of 2; %s'
                        % (results, len(failed), '; '.join('node %d: %s' % (n, NOT_FOUND % n) for n in failed))]


def test_a_short_evaluate_step_fails_too_and_a_minimum_of_one_allows_one():
    assert round_problems({'replies': [step(1, 'train', 2), step(1, 'evaluate', 1, (2,))]})[0].startswith(
        'round 1 evaluate: 1 results and 1 failures from 2 nodes, fewer than the minimum of 2; node 2: ')
    assert round_problems({'replies': [step(1, 'train', 1, (2,), minimum=1)], 'rounds': [{'round': 1}]}) == []


def test_without_replies_an_error_or_empty_rounds_are_problems():
    assert round_problems({'error': 'round 2: no usable training replies'}) == ['round 2: no usable training replies']
    assert round_problems({'num_rounds': 3, 'rounds': []}) == [
        'metrics.json records no round of the 3 asked for (rounds: [])']


def test_read_metrics_tolerates_what_is_not_there(tmp_path):
    assert read_metrics(None, 7) is None and read_metrics(str(tmp_path), 7) is None
    write_metrics(tmp_path, 7, {'rounds': []})
    assert read_metrics(str(tmp_path), 7) == {'rounds': []}
    (tmp_path / '7' / 'metrics.json').write_text('{not json')
    assert read_metrics(str(tmp_path), 7) is None


def test_wait_fails_a_completed_run_whose_nodes_all_failed(tmp_path):
    # What Flower does with FedAvg when every ClientApp raises: it logs "Received 0 results and 2 failures",
    # aggregates nothing and the run still ends finished:completed.
    write_metrics(tmp_path, 7, {'num_rounds': 3, 'rounds': [], 'replies': [step(1, 'train', 0, (1, 2))]})
    cli = ScriptedCli([COMPLETED], log='aggregate_train: Received 0 results and 2 failures\n')
    with pytest.raises(RunError) as err:
        wait_for_run(cli, 7, timeout=10, poll_interval=1, output_dir=str(tmp_path))
    message = str(err.value)
    assert message.startswith('run 7 ended finished:completed, but not every round trained:\nround 1 train: 0 '
                              'results and 2 failures from 2 nodes, fewer than the minimum of 2; node 1: ')
    assert NOT_FOUND % 1 in message and NOT_FOUND % 2 in message
    assert err.value.run['status'] == COMPLETED and 'Received 0 results' in err.value.log
    # Without output_dir nothing is read: the old behaviour.
    assert wait_for_run(ScriptedCli([COMPLETED]), 7, timeout=10, poll_interval=1)['status'] == COMPLETED


def test_wait_on_a_failed_run_adds_the_rounds_errors(tmp_path):
    write_metrics(tmp_path, 8, {'status': 'failed', 'replies': [step(1, 'train', 1, (2,))]})
    cli = ScriptedCli(['running', 'finished:failed'], details='ServerApp raised an exception')
    with pytest.raises(RunError) as err:
        wait_for_run(cli, 8, timeout=10, poll_interval=0, sleep=lambda s: None, output_dir=str(tmp_path))
    head, rounds = str(err.value).split('\n')
    assert head == 'run 8 ended finished:failed: ServerApp raised an exception'
    assert rounds.startswith('round 1 train: 1 results and 1 failures') and rounds.endswith(NOT_FOUND % 2)


def test_wait_returns_a_completed_run_whose_rounds_all_trained(tmp_path):
    write_metrics(tmp_path, 9, {'num_rounds': 1, 'rounds': [{'round': 1}],
                                'replies': [step(1, 'train', 2), step(1, 'evaluate', 2)]})
    run = wait_for_run(ScriptedCli([COMPLETED]), 9, timeout=10, poll_interval=1, output_dir=str(tmp_path))
    assert run['status'] == COMPLETED
