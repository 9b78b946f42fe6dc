# -*- coding: utf-8 -*-
# Copyright: opennebula.flower contributors
# Apache License 2.0 (see LICENSE or https://www.apache.org/licenses/LICENSE-2.0)
"""The execution environment: `ansible-builder create` makes a build context with our collection tarball and the
controller's pins, and `ansible-builder introspect` reads the collection's requirements through
meta/execution-environment.yml. No image is built (no base image can be pulled here)."""

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

import os
import re
import shutil

import yaml

from tests.integration.awx.conftest import ROOT, pins, run, tool


def load(path):
    with open(path) as handle:
        return yaml.safe_load(handle)


def test_builder_context_installs_the_collection_tarball_on_the_pinned_core(tmp_path, collection_tarball):
    definition = load(os.path.join(ROOT, 'execution-environment.yml'))
    # The definition names its files relative to itself: put it next to a freshly built tarball.
    shutil.copy(os.path.join(ROOT, 'execution-environment.yml'), str(tmp_path))
    for entry in definition['additional_build_files']:
        os.makedirs(str(tmp_path / os.path.dirname(entry['src'])), exist_ok=True)
    built = tmp_path / 'build' / collection_tarball.name
    shutil.copy(str(collection_tarball), str(built))
    context = tmp_path / 'context'
    run([tool('ansible-builder'), 'create', '-f', str(tmp_path / 'execution-environment.yml'), '-c', str(context),
         '--output-filename', 'Containerfile'], cwd=str(tmp_path))

    containerfile = (context / 'Containerfile').read_text()
    base = definition['images']['base_image']['name']
    assert 'ARG EE_BASE_IMAGE="%s"' % base in containerfile
    assert re.search(r'^FROM \$EE_BASE_IMAGE AS base$', containerfile, re.M)

    # ansible-core in the image is the controller's (requirements.txt).
    refs = re.search(r'^ARG ANSIBLE_INSTALL_REFS="([^"]*)"', containerfile, re.M).group(1).split()
    assert 'ansible-core==%s' % pins(os.path.join(ROOT, 'requirements.txt'))['ansible-core'] in refs

    # The galaxy stage installs exactly the tarball `ansible-galaxy collection build` wrote, which is in the context.
    requirements = load(str(context / '_build' / 'requirements.yml'))
    (wanted,) = requirements['collections']
    assert wanted['type'] == 'file' and os.path.basename(wanted['name']) == collection_tarball.name
    shipped = context / '_build' / wanted['name']
    assert shipped.read_bytes() == collection_tarball.read_bytes()
    assert 'ansible-galaxy collection install $ANSIBLE_GALAXY_CLI_COLLECTION_OPTS -r requirements.yml' in containerfile


def test_introspect_reads_the_collection_requirements_through_its_ee_metadata(tmp_path, collection_tarball):
    installed = tmp_path / 'collections'
    # Outside the repository: its ansible.cfg resolves opennebula.flower from the clone, which would skip the install.
    run([tool('ansible-galaxy'), 'collection', 'install', '--force', str(collection_tarball), '-p', str(installed)],
        cwd=str(tmp_path))
    out = run([tool('ansible-builder'), 'introspect', '--sanitize', str(installed)]).stdout
    data = yaml.safe_load(out[out.index("---"):])
    python = dict((line.split('#')[0].strip().split('==')[0].lower(), line.split('#')[0].strip())
                  for line in data['python'])
    pinned = pins(os.path.join(ROOT, 'requirements.txt'))
    for name in ('pyone', 'cryptography'):
        assert python[name] == '%s==%s' % (name, pinned[name])
    # ansible-builder drops ansible-core from collection requirements (the EE pins it itself).
    assert 'ansible-core' not in python
    # The system requirements sit in meta/, where only meta/execution-environment.yml points: proof it was read.
    with open(os.path.join(ROOT, 'meta', 'bindep.txt')) as handle:
        bindep = [line.strip() for line in handle if line.strip() and not line.startswith('#')]
    assert [line.split('#')[0].strip() for line in data['system']] == bindep
