# -*- coding: utf-8 -*-
# Copyright: opennebula.flower contributors
# Apache License 2.0 (see LICENSE or https://www.apache.org/licenses/LICENSE-2.0)

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

import os
import stat
import subprocess
import sys
import time

import pytest

from ansible_collections.opennebula.flower.plugins.module_utils import _flower_service
from ansible_collections.opennebula.flower.plugins.modules import flower_service

SUPERVISORD = os.path.join(os.path.dirname(sys.executable), 'supervisord')
SUPERVISORCTL = os.path.join(os.path.dirname(sys.executable), 'supervisorctl')


def mode(path):
    return stat.S_IMODE(os.stat(str(path)).st_mode)


class FakeSystemctl(object):
    """systemctl as a run_command: records calls, answers `show` from its state."""

    def __init__(self, active='inactive', unit_file='disabled', need_reload='no', load='loaded'):
        self.state = dict(ActiveState=active, UnitFileState=unit_file, NeedDaemonReload=need_reload, LoadState=load)
        self.calls = []

    def __call__(self, argv, **kwargs):
        verb = argv[1]
        if verb != 'show':
            self.calls.append(verb)
        if verb == 'show':
            return 0, ''.join('%s=%s\n' % item for item in sorted(self.state.items())), ''
        if verb == 'daemon-reload':
            self.state['NeedDaemonReload'] = 'no'
        elif verb in ('start', 'restart'):
            self.state['ActiveState'] = 'active'
        elif verb == 'stop':
            self.state['ActiveState'] = 'inactive'
        elif verb == 'enable':
            self.state['UnitFileState'] = 'enabled'
        elif verb == 'disable':
            self.state['UnitFileState'] = 'disabled'
        return 0, '', ''


@pytest.fixture
def systemd_service(run_module, tmp_path, monkeypatch):
    fake = FakeSystemctl()
    monkeypatch.setattr(flower_service.AnsibleModule, 'run_command', lambda self, argv, **kw: fake(argv, **kw))
    systemctl = tmp_path / 'systemctl'
    systemctl.write_text('#!/bin/sh\nexit 1\n')
    systemctl.chmod(0o755)

    def _run(check_mode=False, diff=False, **args):
        params = dict(name='flower-superlink', manager='systemd', systemctl=str(systemctl),
                      launcher=str(tmp_path / 'etc/run.sh'), launcher_content='#!/bin/sh\nexec true\n',
                      definition=str(tmp_path / 'units/flower-superlink.service'),
                      definition_content='[Service]\nExecStart=%s\n' % (tmp_path / 'etc/run.sh'))
        params.update(args)
        return run_module(flower_service, params, check_mode=check_mode, diff=diff)
    _run.fake = fake
    _run.root = tmp_path
    return _run


def test_systemd_check_mode_predicts_and_changes_nothing(systemd_service):
    result = systemd_service(check_mode=True, diff=True)
    assert result['changed'] is True
    # New files restart (here: start) a service, as a changed launcher would.
    assert result['actions'] == ['enable', 'restart']
    assert len(result['files_changed']) == 2 and len(result['diff']) == 2
    assert systemd_service.fake.calls == []
    assert not (systemd_service.root / 'units').exists()


def test_systemd_first_run_writes_reloads_enables_restarts_then_is_idempotent(systemd_service):
    result = systemd_service()
    assert result['changed'] is True and result['service_changed'] is True
    assert systemd_service.fake.calls == ['daemon-reload', 'enable', 'restart']
    launcher = systemd_service.root / 'etc/run.sh'
    assert launcher.read_text() == '#!/bin/sh\nexec true\n' and mode(launcher) == 0o755
    assert mode(systemd_service.root / 'units/flower-superlink.service') == 0o644

    systemd_service.fake.calls[:] = []
    again = systemd_service(diff=True)
    assert again['changed'] is False and again['service_changed'] is False and again['diff'] == []
    assert systemd_service.fake.calls == []
    assert systemd_service(check_mode=True)['changed'] is False


def test_systemd_restart_when_asked_or_launcher_changed_and_stop(systemd_service):
    systemd_service()
    systemd_service.fake.calls[:] = []
    assert systemd_service(restart=True)['restarted'] is True
    assert systemd_service.fake.calls == ['restart']
    systemd_service.fake.calls[:] = []
    result = systemd_service(launcher_content='#!/bin/sh\nexec false\n')
    assert result['restarted'] is True and systemd_service.fake.calls == ['restart']
    systemd_service.fake.calls[:] = []
    stopped = systemd_service(launcher_content='#!/bin/sh\nexec false\n', state='stopped', enabled=False)
    assert stopped['changed'] is True and systemd_service.fake.calls == ['disable', 'stop']
    assert stopped['service_state'] == 'inactive'


def test_systemd_present_only_writes_files(systemd_service):
    result = systemd_service(state='present', launcher=None, launcher_content=None,
                             directories=[dict(path=str(systemd_service.root / 'home'), mode='0750')])
    assert result['changed'] is True and result['actions'] == []
    assert systemd_service.fake.calls == []
    assert mode(systemd_service.root / 'home') == 0o750
    assert not (systemd_service.root / 'etc/run.sh').exists()
    # A unit written by an image build is read by systemd before the first start.
    systemd_service.fake.state['NeedDaemonReload'] = 'yes'
    systemd_service()
    assert systemd_service.fake.calls == ['daemon-reload', 'enable', 'restart']


def test_extra_files_restart_only_when_marked(systemd_service):
    ca = str(systemd_service.root / 'etc/ca.crt')
    cli = str(systemd_service.root / 'cli/config.toml')
    systemd_service(files=[dict(path=ca, content='A\n', restart=True), dict(path=cli, content='x\n')])
    systemd_service.fake.calls[:] = []
    result = systemd_service(files=[dict(path=ca, content='A\n', restart=True), dict(path=cli, content='y\n')])
    assert result['changed'] is True and result['files_changed'] == [cli] and result['restarted'] is False
    assert systemd_service.fake.calls == []
    result = systemd_service(files=[dict(path=ca, content='B\n', restart=True), dict(path=cli, content='y\n')])
    assert result['files_changed'] == [ca] and result['restarted'] is True
    assert systemd_service.fake.calls == ['restart']


def test_mode_drift_is_fixed(systemd_service):
    systemd_service()
    launcher = systemd_service.root / 'etc/run.sh'
    launcher.chmod(0o700)
    systemd_service.fake.calls[:] = []
    result = systemd_service()
    assert result['files_changed'] == [str(launcher)] and mode(launcher) == 0o755


def test_supervisor_socket_comes_from_the_configuration(tmp_path):
    conf = '[unix_http_server]\nfile=/x/s.sock\n\n[supervisorctl]\nserverurl=unix://%(here)s/y.sock\n'
    assert _flower_service.supervisor_socket(conf, str(tmp_path / 'supervisord.conf')) == str(tmp_path / 'y.sock')
    with pytest.raises(_flower_service.ServiceError):
        _flower_service.supervisor_socket('[supervisorctl]\nserverurl=http://127.0.0.1:9001\n', '/x.conf')


def test_a_supervisord_that_never_answers_fails_after_the_timeout(tmp_path):
    supervisor = _flower_service.Supervisor(str(tmp_path / 'none.sock'), lambda argv: (0, '', ''), 'supervisord',
                                            str(tmp_path / 'supervisord.conf'), timeout=0.3)
    with pytest.raises(_flower_service.ServiceError, match='did not answer on .*none.sock'):
        supervisor.start_daemon()


@pytest.fixture
def supervisor_service(run_module, tmp_path):
    """A real supervisord from the test virtualenv, in a short directory (UNIX socket paths are limited)."""
    if not os.path.exists(SUPERVISORD):
        pytest.skip('supervisor is not installed in the test virtualenv')
    root = tmp_path / 's'
    conf_text = ('[unix_http_server]\nfile=%(root)s/supervisor.sock\n\n[supervisord]\npidfile=%(root)s/supervisord.pid\n'
                 'logfile=%(root)s/supervisord.log\n\n[rpcinterface:supervisor]\n'
                 'supervisor.rpcinterface_factory = supervisor.rpcinterface:make_main_rpcinterface\n\n'
                 '[supervisorctl]\nserverurl=unix://%(root)s/supervisor.sock\n\n[include]\nfiles = programs/*.conf\n'
                 % dict(root=root))

    def program(launcher):
        return ('[program:svc]\ncommand=%s\nautostart=true\nautorestart=true\nstartsecs=0\nstopwaitsecs=2\n'
                'redirect_stderr=true\nstdout_logfile=%s/svc.log\n' % (launcher, root))

    def _run(check_mode=False, diff=False, launcher_content='#!/bin/sh\nexec sleep 300\n', **args):
        params = dict(name='svc', manager='supervisor', supervisord=SUPERVISORD,
                      supervisor_conf=str(root / 'supervisord.conf'), supervisor_conf_content=conf_text,
                      launcher=str(root / 'run.sh'), launcher_content=launcher_content,
                      definition=str(root / 'programs/svc.conf'), definition_content=program(root / 'run.sh'))
        params.update(args)
        return run_module(flower_service, params, check_mode=check_mode, diff=diff)

    def pid():
        out = subprocess.run([SUPERVISORCTL, '-c', str(root / 'supervisord.conf'), 'pid', 'svc'],
                             capture_output=True, text=True, check=False).stdout.strip()
        return int(out) if out.isdigit() else 0

    _run.root = root
    _run.pid = pid
    yield _run
    subprocess.run([SUPERVISORCTL, '-c', str(root / 'supervisord.conf'), 'shutdown'], capture_output=True,
                   check=False)


def test_supervisor_start_noop_restart_stop(supervisor_service):
    predicted = supervisor_service(check_mode=True)
    assert predicted['changed'] is True and predicted['actions'][0] == 'start supervisord'
    assert not supervisor_service.root.exists() or not (supervisor_service.root / 'programs').exists()

    first = supervisor_service()
    # supervisord started now loads the program itself: no update, no restart.
    assert first['changed'] is True and first['actions'][0] == 'start supervisord' and 'restart' not in first['actions']
    assert first['service_state'] in ('STARTING', 'RUNNING')
    deadline = time.time() + 10
    while supervisor_service.pid() == 0 and time.time() < deadline:
        time.sleep(0.1)
    pid = supervisor_service.pid()
    assert pid > 0

    again = supervisor_service(diff=True)
    assert again['changed'] is False and again['actions'] == [] and again['diff'] == []
    assert supervisor_service(check_mode=True)['changed'] is False
    assert supervisor_service.pid() == pid

    assert supervisor_service(restart=True, check_mode=True)['actions'] == ['restart']
    assert supervisor_service.pid() == pid
    restarted = supervisor_service(launcher_content='#!/bin/sh\nexec sleep 301\n')
    assert restarted['restarted'] is True and restarted['actions'] == ['restart']
    assert supervisor_service.pid() not in (0, pid)

    stopped = supervisor_service(launcher_content='#!/bin/sh\nexec sleep 301\n', state='stopped')
    assert stopped['actions'] == ['stop'] and stopped['service_state'] == 'STOPPED'
    assert supervisor_service(launcher_content='#!/bin/sh\nexec sleep 301\n', state='stopped')['changed'] is False


def test_supervisor_program_change_replaces_the_program(supervisor_service):
    supervisor_service()
    root = supervisor_service.root
    program = (root / 'programs/svc.conf').read_text().replace('stopwaitsecs=2', 'stopwaitsecs=3')
    result = supervisor_service(definition_content=program)
    assert result['actions'] == ['update (updated)'] and result['restarted'] is True
