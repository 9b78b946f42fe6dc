# -*- coding: utf-8 -*-
# Copyright: opennebula.flower contributors
# Apache License 2.0 (see LICENSE or https://www.apache.org/licenses/LICENSE-2.0)
"""Credential injectors rendered the way AWX renders them (awx_plugins' inject_credential): the inputs in a
sandboxed Jinja namespace, booleans that were not given as False, file injectors written to 0600 files whose paths
are tower.filename (one file) or tower.filename.<name> (template.<name>), then env and extra_vars."""

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

import os
import stat
import tempfile
from types import SimpleNamespace

import yaml
from jinja2.sandbox import ImmutableSandboxedEnvironment

from tests.integration.awx.conftest import ROOT

CREDENTIAL_TYPES = os.path.join(ROOT, 'extensions', 'awx', 'credential_types')


def credential_type(name):
    with open(os.path.join(CREDENTIAL_TYPES, name + '.yml')) as handle:
        return yaml.safe_load(handle)


def render(cred_type, inputs, private_data_dir):
    """(env, extra_vars, files) that a job gets from a credential of ``cred_type`` with ``inputs``."""
    namespace = dict((key, value) for key, value in inputs.items() if isinstance(value, bool) or value)
    for field in cred_type['inputs'].get('fields', []):
        if field['type'] == 'boolean' and field['id'] not in inputs:
            namespace[field['id']] = False
    sandbox = ImmutableSandboxedEnvironment()
    injectors = cred_type.get('injectors', {})
    single, files = None, {}
    env_dir = os.path.join(private_data_dir, 'env')
    os.makedirs(env_dir, exist_ok=True)
    for label, template in injectors.get('file', {}).items():
        handle, path = tempfile.mkstemp(dir=env_dir)
        with os.fdopen(handle, 'w') as out:
            out.write(sandbox.from_string(template).render(**namespace))
        os.chmod(path, stat.S_IRUSR | stat.S_IWUSR)
        if '.' in label:
            files[label.split('.')[1]] = path
        else:
            single = path
    namespace['tower'] = SimpleNamespace(filename=single or SimpleNamespace(**files))
    env = dict((name, sandbox.from_string(template).render(**namespace))
               for name, template in injectors.get('env', {}).items())
    extra_vars = dict((name, sandbox.from_string(template).render(**namespace))
                      for name, template in injectors.get('extra_vars', {}).items())
    return env, extra_vars, dict(files, **({'': single} if single else {}))
