# -*- coding: utf-8 -*-
# Copyright: opennebula.flower contributors
# Apache License 2.0 (see LICENSE or https://www.apache.org/licenses/LICENSE-2.0)
"""flower_apps: packing on the controller side, installing, idempotence, check mode, diff and unsafe archives."""

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

import base64
import io
import os
import shutil
import tarfile
import time

import pytest

from ansible_collections.opennebula.flower.plugins.modules import flower_apps
from ansible_collections.opennebula.flower.plugins.module_utils._flower_apps import app_digest, pack


def make_app(root, name, files):
    for rel, text in files.items():
        path = root / name / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    return root / name


@pytest.fixture
def src(tmp_path):
    root = tmp_path / 'apps'
    make_app(root, 'digits', {'pyproject.toml': '[project]\nname = "digits"\n', 'digits/client_app.py': 'A = 1\n',
                              'digits/__pycache__/client_app.cpython-311.pyc': 'compiled', '.hidden': 'x'})
    make_app(root, 'other', {'pyproject.toml': '[project]\nname = "other"\n'})
    return root


@pytest.fixture
def dest(tmp_path):
    path = tmp_path / 'installed'
    path.mkdir()
    return path


@pytest.fixture
def install(run_module, src, dest):
    def _run(names=('digits',), check_mode=False, diff=False, apps=None):
        packed = apps if apps is not None else [
            dict(zip(('name', 'fingerprint', 'archive'), (name,) + pack(str(src / name)))) for name in names]
        return run_module(flower_apps, dict(src=str(src), names=list(names), dest=str(dest), apps=packed),
                          check_mode=check_mode, diff=diff)
    return _run


def tree(path):
    return sorted(os.path.relpath(os.path.join(base, name), str(path))
                  for base, _dirs, files in os.walk(str(path)) for name in files)


def test_pack_is_deterministic_and_ignores_caches(src, tmp_path):
    first = pack(str(src / 'digits'))
    os.utime(str(src / 'digits' / 'pyproject.toml'), (1, 1))
    time.sleep(1.1)  # a gzip header stamped with the time would now differ
    assert pack(str(src / 'digits')) == first
    names = tarfile.open(fileobj=io.BytesIO(base64.b64decode(first[1]))).getnames()
    assert sorted(names) == ['digits/client_app.py', 'pyproject.toml']
    (src / 'digits' / 'digits' / 'client_app.py').write_text('A = 2\n')
    assert pack(str(src / 'digits'))[0] != first[0]
    assert pack(str(src / 'digits'))[0] == app_digest(str(src / 'digits')).hexdigest()


def test_installs_then_reports_no_change(install, dest):
    first = install(names=('digits', 'other'))
    assert not first.get('failed'), first.get('msg')
    assert first['changed'] is True and first['installed'] == ['digits', 'other']
    assert tree(dest / 'digits') == ['digits/client_app.py', 'pyproject.toml']
    assert oct(os.stat(str(dest / 'digits' / 'pyproject.toml')).st_mode & 0o777) == '0o644'
    again = install(names=('digits', 'other'))
    assert again['changed'] is False and again['unchanged'] == ['digits', 'other'] and again['installed'] == []


def test_changed_app_is_replaced_whole(install, src, dest):
    install()
    (dest / 'digits' / 'stale.py').write_text('left over by hand')
    (src / 'digits' / 'digits' / 'client_app.py').write_text('A = 2\n')
    result = install(diff=True)
    assert result['changed'] is True and result['installed'] == ['digits']
    assert result['diff']['before']['digits'] != result['diff']['after']['digits']
    assert (dest / 'digits' / 'digits' / 'client_app.py').read_text() == 'A = 2\n'
    assert not (dest / 'digits' / 'stale.py').exists()
    assert sorted(os.listdir(str(dest))) == ['.digits.fingerprint', 'digits']


def test_missing_app_directory_is_reinstalled(install, dest):
    install()
    shutil.rmtree(str(dest / 'digits'))
    assert install()['installed'] == ['digits']


def test_check_mode_predicts_and_changes_nothing(install, src, dest):
    predicted = install(check_mode=True)
    assert predicted['changed'] is True and predicted['installed'] == ['digits']
    assert os.listdir(str(dest)) == []
    install()
    assert install(check_mode=True)['changed'] is False


def test_refuses_an_archive_that_escapes(install, dest):
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode='w:gz') as tar:
        info = tarfile.TarInfo('../escaped.py')
        info.size = 1
        tar.addfile(info, io.BytesIO(b'x'))
    archive = base64.b64encode(buf.getvalue()).decode('ascii')
    result = install(apps=[dict(name='digits', fingerprint='f', archive=archive)])
    assert result['failed'] is True and "refusing archive member '../escaped.py'" in result['msg']
    assert os.listdir(str(dest)) == [] and not (dest.parent / 'escaped.py').exists()


def test_refuses_bad_names_and_a_missing_dest(install, run_module, src, tmp_path):
    result = install(apps=[dict(name='../x', fingerprint='f', archive='')])
    assert result['failed'] is True and "'../x' is not an app directory name" in result['msg']
    digits = dict(zip(('name', 'fingerprint', 'archive'), ('digits',) + pack(str(src / 'digits'))))
    result = run_module(flower_apps, dict(src=str(src), names=['digits'], dest=str(tmp_path / 'nope'), apps=[digits]))
    assert result['failed'] is True and result['msg'] == 'dest=%s is not a directory' % (tmp_path / 'nope')


def test_without_the_action_plugin(run_module, src, dest):
    result = run_module(flower_apps, dict(src=str(src), names=['digits'], dest=str(dest)))
    assert result['failed'] is True and 'action plugin' in result['msg']
