# -*- coding: utf-8 -*-
# Copyright: opennebula.flower contributors
# Apache License 2.0 (see LICENSE or https://www.apache.org/licenses/LICENSE-2.0)
"""Packs the named Flower Apps on the controller and hands them to the flower_apps module in one call."""

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

import os

from ansible.errors import AnsibleActionFail
from ansible.plugins.action import ActionBase

from ansible_collections.opennebula.flower.plugins.module_utils._flower_apps import AppError, pack


class ActionModule(ActionBase):

    TRANSFERS_FILES = False
    _requires_connection = True

    def run(self, tmp=None, task_vars=None):
        result = super(ActionModule, self).run(tmp, task_vars)
        args = dict(self._task.args)
        src, names = args.get('src'), args.get('names')
        if not src or not isinstance(names, list):
            raise AnsibleActionFail('flower_apps needs src (a directory on the controller) and names (a list)')
        src = self._loader.path_dwim(src)
        apps = []
        for name in names:
            top = os.path.join(src, str(name))
            if not os.path.isdir(top):
                raise AnsibleActionFail('names: %s is not an app directory under src=%s' % (name, src))
            try:
                fingerprint, archive = pack(top)
            except (AppError, OSError) as err:
                raise AnsibleActionFail('cannot pack the app %s: %s' % (name, err))
            apps.append(dict(name=str(name), fingerprint=fingerprint, archive=archive))
        args['apps'] = apps
        result.update(self._execute_module(module_name='opennebula.flower.flower_apps', module_args=args,
                                           task_vars=task_vars))
        return result
