# -*- coding: utf-8 -*-
# Copyright: opennebula.flower contributors
# Apache License 2.0 (see LICENSE or https://www.apache.org/licenses/LICENSE-2.0)
"""_flwr_run: the run fingerprint, the run record, reuse of a completed run, and waiting (injected clock)."""

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

import json
import os
import stat

import pytest

from ansible_collections.opennebula.flower.plugins.module_utils._flower_apps import app_files
from ansible_collections.opennebula.flower.plugins.module_utils._flwr import FlwrError
from ansible_collections.opennebula.flower.plugins.module_utils._flwr_run import (
    COMPLETED, RunError, load_record, log_tail, previous_run, run_fingerprint, save_record, summarize,
    wait_for_run)
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
