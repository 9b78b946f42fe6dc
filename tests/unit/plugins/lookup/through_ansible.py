# -*- coding: utf-8 -*-
# Copyright: opennebula.flower contributors
# Apache License 2.0 (see LICENSE or https://www.apache.org/licenses/LICENSE-2.0)
"""An expression as a playbook sees it: templated by ``ansible`` with the repository's configuration."""
from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

import json
import os
import re
import subprocess
import sys

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), '..', '..', '..', '..'))


def lookup(expression, *options):
    """The result of ``debug: msg={{ expression }}`` on localhost; ``options`` go to ``ansible`` (e.g. -e @file)."""
    env = dict(os.environ, ANSIBLE_CONFIG=os.path.join(ROOT, 'ansible.cfg'), ANSIBLE_CALLBACK_RESULT_FORMAT='json',
               ANSIBLE_NOCOLOR='1')
    ansible = os.path.join(os.path.dirname(sys.executable), 'ansible')
    proc = subprocess.run([ansible, 'localhost', '-c', 'local', '-i', 'localhost,', *options,
                           '-m', 'ansible.builtin.debug', '-a', 'msg={{ %s }}' % expression],
                          cwd=ROOT, env=env, capture_output=True, text=True, check=False)
    # "localhost | SUCCESS => {...}" or "localhost | FAILED! => {...}"
    assert proc.returncode == (0 if '| SUCCESS =>' in proc.stdout else 2), proc.stdout + proc.stderr
    return json.loads(re.split(r'\| (?:SUCCESS|FAILED!) => ', proc.stdout, maxsplit=1)[1])
