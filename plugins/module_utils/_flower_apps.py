# -*- coding: utf-8 -*-
# Copyright: opennebula.flower contributors
# Apache License 2.0 (see LICENSE or https://www.apache.org/licenses/LICENSE-2.0)
"""Flower Apps shipped from the controller as one archive each, installed only when their fingerprint changed.

The action plugin packs an app directory (``pack``) on the controller; the module unpacks it on the host
(``AppInstaller``). Copying a directory file by file costs a round trip per file; this costs one per task.
"""

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

import base64
import gzip
import hashlib
import io
import os
import shutil
import tarfile
import tempfile

from ansible_collections.opennebula.flower.plugins.module_utils._files import write_file

# What `flwr build` puts into a FAB, so what a SuperLink needs of an app and what defines a run of it.
FAB_SUFFIXES = ('.py', '.toml', '.md', '.yaml', '.json')
FAB_NAMES = ('LICENSE',)
SKIP_DIRS = ('__pycache__', '.git', '.venv')
FILE_MODE = 0o644
DIR_MODE = 0o755


class AppError(Exception):
    pass


def app_files(top):
    """Relative paths of the app's FAB files, in a stable order; caches and dot directories left out."""
    found = []
    for base, dirs, files in os.walk(top):
        dirs[:] = sorted(d for d in dirs if d not in SKIP_DIRS and not d.startswith('.'))
        for name in sorted(files):
            if name.endswith(FAB_SUFFIXES) or name in FAB_NAMES:
                found.append(os.path.relpath(os.path.join(base, name), top))
    return found


def _add_file(digest, rel, data):
    digest.update(rel.encode('utf-8') + b'\0')
    digest.update(hashlib.sha256(data).digest())


def app_digest(top):
    """A sha256 object fed with the app's file names and contents (callers may feed it more)."""
    digest = hashlib.sha256()
    for rel in app_files(top):
        with open(os.path.join(top, rel), 'rb') as handle:
            _add_file(digest, rel, handle.read())
    return digest


def pack(top):
    """(fingerprint, base64 tar.gz) of the app directory ``top``; the fingerprint is ``app_digest``'s, and both
    depend only on names and contents."""
    if not os.path.isdir(top):
        raise AppError('%s is not a directory' % top)
    digest = hashlib.sha256()
    buf = io.BytesIO()
    # mtime=0 in the gzip header and in every member: the same files always give the same bytes.
    with gzip.GzipFile(fileobj=buf, mode='wb', mtime=0) as gz, \
            tarfile.open(fileobj=gz, mode='w', format=tarfile.PAX_FORMAT) as tar:
        for rel in app_files(top):
            with open(os.path.join(top, rel), 'rb') as handle:
                data = handle.read()
            _add_file(digest, rel, data)
            info = tarfile.TarInfo(rel)
            info.size, info.mode, info.mtime = len(data), FILE_MODE, 0
            tar.addfile(info, io.BytesIO(data))
    return digest.hexdigest(), base64.b64encode(buf.getvalue()).decode('ascii')


def _safe_members(tar):
    for member in tar.getmembers():
        parts = member.name.split('/')
        if not member.isfile() or member.name.startswith('/') or '..' in parts or '' in parts:
            raise AppError('refusing archive member %r: only plain files below the app directory' % member.name)
        yield member


def unpack(archive, dest):
    """Extract the base64 tar.gz ``archive`` into the new directory ``dest``."""
    try:
        raw = base64.b64decode(archive.encode('ascii'), validate=True)
        with tarfile.open(fileobj=io.BytesIO(raw), mode='r:gz') as tar:
            for member in _safe_members(tar):
                path = os.path.join(dest, member.name)
                parent = os.path.dirname(path)
                if not os.path.isdir(parent):
                    os.makedirs(parent, DIR_MODE)
                with open(path, 'wb') as handle:
                    handle.write(tar.extractfile(member).read())
                os.chmod(path, FILE_MODE)
    except (ValueError, tarfile.TarError) as err:
        raise AppError('the app archive is unreadable: %s' % err)


class AppInstaller(object):
    """Installs apps under ``apps_dir``: ``<name>/`` and its fingerprint in ``.<name>.fingerprint``."""

    def __init__(self, module, apps_dir):
        self.module = module
        self.apps_dir = apps_dir

    def _fingerprint_path(self, name):
        return os.path.join(self.apps_dir, '.%s.fingerprint' % name)

    def installed(self, name):
        """The fingerprint recorded for ``name``, or None when it or the app's directory is missing."""
        if not os.path.isdir(os.path.join(self.apps_dir, name)):
            return None
        try:
            with open(self._fingerprint_path(name)) as handle:
                return handle.read().strip() or None
        except (IOError, OSError):
            return None

    def install(self, name, archive, fingerprint):
        """Replace ``<apps_dir>/<name>`` with the archive's files; the old tree goes only once the new one is in."""
        target = os.path.join(self.apps_dir, name)
        staging = tempfile.mkdtemp(prefix='.%s.new-' % name, dir=self.apps_dir)
        old = None
        try:
            unpack(archive, staging)
            os.chmod(staging, DIR_MODE)
            if os.path.lexists(target):
                old = tempfile.mkdtemp(prefix='.%s.old-' % name, dir=self.apps_dir)
                os.rename(target, os.path.join(old, name))
            os.rename(staging, target)
            staging = None
            write_file(self.module, self._fingerprint_path(name), (fingerprint + '\n').encode('ascii'), FILE_MODE)
        finally:
            for leftover in (staging, old):
                if leftover:
                    shutil.rmtree(leftover, ignore_errors=True)


def apply(module, installer, apps, check_mode):
    """Install each app whose fingerprint differs; returns the module result."""
    result = dict(changed=False, installed=[], unchanged=[], diff=dict(before={}, after={}))
    names = [app['name'] for app in apps]
    if len(set(names)) != len(names):
        raise AppError('apps: each app name may appear once, got %s' % ', '.join(names))
    if not check_mode and not os.path.isdir(installer.apps_dir):
        raise AppError('dest=%s is not a directory' % installer.apps_dir)
    for app in apps:
        name = app['name']
        if not name or '/' in name or name.startswith('.'):
            raise AppError('apps: %r is not an app directory name' % name)
        current = installer.installed(name)
        if current == app['fingerprint']:
            result['unchanged'].append(name)
            continue
        result['diff']['before'][name] = current
        result['diff']['after'][name] = app['fingerprint']
        if not check_mode:
            installer.install(name, app['archive'], app['fingerprint'])
        result['installed'].append(name)
        result['changed'] = True
    return result
