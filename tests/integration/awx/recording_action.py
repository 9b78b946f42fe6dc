# -*- coding: utf-8 -*-
# Copyright: opennebula.flower contributors
# Apache License 2.0 (see LICENSE or https://www.apache.org/licenses/LICENSE-2.0)
"""A stand-in for an awx.awx module (installed as its action plugin by test_awx_bootstrap.py): it appends the
module's name and the arguments it got to the JSON-lines file named by AWX_RECORD and talks to no AWX."""

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

import json
import os

from ansible.plugins.action import ActionBase


class ActionModule(ActionBase):
    def run(self, tmp=None, task_vars=None):
        result = super(ActionModule, self).run(tmp, task_vars)
        with open(os.environ['AWX_RECORD'], 'a') as handle:
            handle.write(json.dumps({'module': self._task.action, 'args': self._task.args}) + '\n')
        result.update(changed=True)
        return result
