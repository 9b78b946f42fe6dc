# -*- coding: utf-8 -*-
# Copyright: opennebula.flower contributors
# Apache License 2.0 (see LICENSE or https://www.apache.org/licenses/LICENSE-2.0)
"""The base of the OpenNebula modules: options, connection, errors to ``fail_json``, diff.

In the manner of community.general's ``OpenNebulaModule``: a module subclasses ``OpenNebulaModule``, names
its ``connection`` (``ONED`` from ``_one_connection`` for oned and OneFlow, ``ONEGATE`` from
``_onegate_connection`` inside a VM) and its own ``options``, and implements ``run(client)``, which returns
the result. This file imports neither connection, so in-VM modules carry no oned or OneFlow code.
"""

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

from ansible.module_utils.basic import AnsibleModule, missing_required_lib

from ansible_collections.opennebula.flower.plugins.module_utils._http import APIError, AuthenticationError


class Connection:
    """How a family of modules connects.

    ``argument_spec()``: a fresh dict of the connection options. ``connect(params, warn)``: the client;
    raises a ValueError when the settings are incomplete. ``missing_library()``: None, or
    ``(name, import traceback)`` of a library the client needs and cannot import.
    """

    def __init__(self, argument_spec, connect, missing_library=None):
        self.argument_spec = argument_spec
        self.connect = connect
        self.missing_library = missing_library or (lambda: None)


def fail_api(module, exc, action, **extra):
    """fail_json with the API's message, the HTTP status and the URL."""
    if isinstance(exc, AuthenticationError):
        hint = ' (check api_username/api_password)'
    else:
        hint = ''
    details = dict(extra)
    if isinstance(exc, APIError):
        details.update(status=exc.status, url=exc.url)
        code = getattr(exc, 'code', None)
        if code is not None:
            details['error_code'] = code
        message = exc.message
    else:
        message = str(exc)
    module.fail_json(msg='%s failed: %s%s' % (action, message, hint), **details)


class OpenNebulaModule:
    """Subclasses set ``connection``, ``options()`` and ``run(client)``; ``main()`` is ``Subclass().execute()``.

    ``run`` returns the result dict; its ``diff`` key is returned only in diff mode. An ``APIError`` fails with
    ``fail_api`` and ``action()``'s text; an exception listed in ``fails_with`` fails with its text and
    ``failure(exc)``'s extra fields.
    """

    connection = None
    module_kwargs = {}
    fails_with = (ValueError,)

    def __init__(self):
        argument_spec = self.connection.argument_spec()
        argument_spec.update(self.options())
        self.module = AnsibleModule(argument_spec=argument_spec, supports_check_mode=True, **self.module_kwargs)
        self.params = self.module.params
        self.client = None

    def options(self):
        """The module's own options."""
        return {}

    def needs_library(self):
        """Whether this run calls what ``connection.missing_library`` names (pyone for oned)."""
        return True

    def check_params(self):
        """Refuse parameters the argument spec cannot express, before connecting."""

    def action(self):
        """What failed, for ``fail_api``'s message, e.g. ``Image flower-appliance``."""
        raise NotImplementedError

    def run(self, client):
        raise NotImplementedError

    def failure(self, exc):
        """Extra fields of the failure for an exception in ``fails_with``."""
        return {}

    def connect(self):
        missing = self.connection.missing_library() if self.needs_library() else None
        if missing is not None:
            self.module.fail_json(msg=missing_required_lib(missing[0]), exception=missing[1])
        try:
            return self.connection.connect(self.params, self.module.warn)
        except ValueError as exc:
            self.module.fail_json(msg=str(exc))

    def execute(self):
        self.check_params()
        self.client = self.connect()
        try:
            result = self.run(self.client)
        except APIError as exc:
            fail_api(self.module, exc, self.action())
        except self.fails_with as exc:
            self.module.fail_json(msg=str(exc), **self.failure(exc))
        diff = result.pop('diff', None)
        if diff is not None and self.module._diff:
            result['diff'] = diff
        self.module.exit_json(**result)
