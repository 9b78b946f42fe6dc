# -*- coding: utf-8 -*-
# Copyright: opennebula.flower contributors
# Apache License 2.0 (see LICENSE or https://www.apache.org/licenses/LICENSE-2.0)
"""Shared helpers of the AWX tests: the repository, its tools and the collection tarball."""

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

import os
import re
import subprocess
import sys

import pytest
import yaml

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), '..', '..', '..'))
BIN = os.path.dirname(sys.executable)
PIN = re.compile(r'^([A-Za-z0-9_.-]+)==(\S+)')


def tool(name):
    return os.path.join(BIN, name)


def run(argv, **kwargs):
    kwargs.setdefault('cwd', ROOT)
    proc = subprocess.run(argv, capture_output=True, text=True, timeout=300, check=False, **kwargs)
    assert proc.returncode == 0, '%s failed:\n%s\n%s' % (' '.join(argv), proc.stdout[-3000:], proc.stderr[-3000:])
    return proc


def definitions():
    """extensions/awx/job_templates.yml: the job templates, the playbooks without one, the workflow."""
    with open(os.path.join(ROOT, 'extensions', 'awx', 'job_templates.yml')) as handle:
        return yaml.safe_load(handle)


def pins(path):
    """name -> version of the `name==version` lines of a pip requirements file (without following -r)."""
    result = {}
    with open(path) as handle:
        for line in handle:
            match = PIN.match(line.strip())
            if match:
                result[match.group(1).lower()] = match.group(2)
    return result


@pytest.fixture(scope='module')
def collection_tarball(tmp_path_factory):
    """The collection as `ansible-galaxy collection build` writes it."""
    out = tmp_path_factory.mktemp('build')
    run([tool('ansible-galaxy'), 'collection', 'build', ROOT, '--output-path', str(out)])
    (tarball,) = list(out.iterdir())
    return tarball
