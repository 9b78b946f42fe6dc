# -*- coding: utf-8 -*-
# Copyright: opennebula.flower contributors
# Apache License 2.0 (see LICENSE or https://www.apache.org/licenses/LICENSE-2.0)
"""Shared fixtures for module tests.

``run_module(module, args, check_mode=False, diff=False)`` runs ``module.main()`` for real, the way
Ansible would (arguments through ``ANSIBLE_MODULE_ARGS``), and returns the JSON result the module
printed as a dict: ``failed`` is true and ``msg`` says why when the module called ``fail_json``.
"""

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

import contextlib
import json

import pytest

from ansible.module_utils import basic

try:
    from ansible.module_utils.testing import patch_module_args
except ImportError:  # ansible-core < 2.19
    patch_module_args = None


@contextlib.contextmanager
def _legacy_patch_module_args(args):
    old = basic._ANSIBLE_ARGS
    basic._ANSIBLE_ARGS = json.dumps({'ANSIBLE_MODULE_ARGS': args}).encode('utf-8')
    try:
        yield
    finally:
        basic._ANSIBLE_ARGS = old


@pytest.fixture
def run_module(capsys):
    def _run(module, args, check_mode=False, diff=False):
        module_args = dict(args)
        module_args['_ansible_check_mode'] = check_mode
        module_args['_ansible_diff'] = diff
        patch = patch_module_args if patch_module_args is not None else _legacy_patch_module_args
        capsys.readouterr()
        with patch(module_args):
            with pytest.raises(SystemExit) as exit_info:
                module.main()
        out = capsys.readouterr().out
        try:
            result = json.loads(out)
        except ValueError:
            raise AssertionError('module printed no JSON result (exit %r): %r' % (exit_info.value.code, out))
        if exit_info.value.code not in (0, None):
            assert result.get('failed'), 'module exited %r without failed=true: %r' % (exit_info.value.code, result)
        return result

    return _run
