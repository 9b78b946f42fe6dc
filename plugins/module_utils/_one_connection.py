# -*- coding: utf-8 -*-
# Copyright: opennebula.flower contributors
# Apache License 2.0 (see LICENSE or https://www.apache.org/licenses/LICENSE-2.0)
"""oned and OneFlow connection options, with their environment fallbacks, and the clients built from them.

Environment fallbacks (for AWX credential types): ``ONE_URL``, ``ONE_USERNAME``, ``ONE_PASSWORD``,
``ONEFLOW_URL`` (plus ``ONEFLOW_USERNAME``/``ONEFLOW_PASSWORD``), ``ONE_VALIDATE_CERTS``, ``ONE_CA_PATH``, and the
``user:password`` file named by ``ONE_AUTH`` (default ``~/.one/one_auth``) when no username/password is given.
"""

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

import os
from urllib.parse import urlsplit, urlunsplit

from ansible.module_utils.basic import env_fallback

from ansible_collections.opennebula.flower.plugins.module_utils._http import HTTPClient, RetryPolicy
from ansible_collections.opennebula.flower.plugins.module_utils._one_documents import vm_summary
from ansible_collections.opennebula.flower.plugins.module_utils._one_errors import OneNoExistsError
from ansible_collections.opennebula.flower.plugins.module_utils._one_module import Connection
from ansible_collections.opennebula.flower.plugins.module_utils._one_xmlrpc import (
    HAS_PYONE, PYONE_IMP_ERR, OneXMLRPCClient,
)
from ansible_collections.opennebula.flower.plugins.module_utils._oneflow import (
    SCHEMAS, OneFlowClient, schema_for_version,
)

XMLRPC_PORT = 2633
ONEFLOW_PORT = 2474


def one_argument_spec():
    return dict(
        api_url=dict(type='str', fallback=(env_fallback, ['ONE_URL', 'ONE_XMLRPC'])),
        api_username=dict(type='str', fallback=(env_fallback, ['ONE_USERNAME', 'ONEFLOW_USERNAME'])),
        api_password=dict(type='str', no_log=True, fallback=(env_fallback, ['ONE_PASSWORD', 'ONEFLOW_PASSWORD'])),
        oneflow_url=dict(type='str', fallback=(env_fallback, ['ONEFLOW_URL'])),
        validate_certs=dict(type='bool', default=True, fallback=(env_fallback, ['ONE_VALIDATE_CERTS'])),
        ca_path=dict(type='path', fallback=(env_fallback, ['ONE_CA_PATH'])),
        api_timeout=dict(type='int', default=30),
        api_retries=dict(type='int', default=3),
    )


class ConfigError(ValueError):
    pass


def read_auth_file(environ=None):
    """(user, password) from the file named by ONE_AUTH, else ~/.one/one_auth; (None, None) if absent."""
    environ = os.environ if environ is None else environ
    home = environ.get('HOME') or os.path.expanduser('~')
    path = environ.get('ONE_AUTH') or os.path.join(home, '.one', 'one_auth')
    try:
        with open(path) as f:
            line = f.readline().strip()
    except (IOError, OSError):
        return None, None
    if ':' not in line:
        raise ConfigError('%s must hold "user:password" on its first line' % path)
    user, password = line.split(':', 1)
    return user, password


def resolve_auth(username, password, environ=None):
    if username is None or password is None:
        file_user, file_password = read_auth_file(environ)
        if username is None:
            username = file_user
        if password is None and (file_user is None or file_user == username):
            password = file_password
    if not username or password is None:
        raise ConfigError('no OpenNebula credentials: set api_username/api_password, ONE_USERNAME/ONE_PASSWORD '
                          'or a ONE_AUTH file')
    return username, password


def derive_url(url, port, path=''):
    """Same scheme and host as ``url`` on another port (OneFlow beside oned, or the reverse)."""
    parts = urlsplit(url)
    host = parts.hostname or 'localhost'
    if ':' in host:
        host = '[%s]' % host
    return urlunsplit((parts.scheme or 'http', '%s:%d' % (host, port), path, '', ''))


def endpoints(api_url, oneflow_url):
    if not api_url and not oneflow_url:
        raise ConfigError('set api_url (ONE_URL) or oneflow_url (ONEFLOW_URL)')
    api_url = api_url or derive_url(oneflow_url, XMLRPC_PORT, '/RPC2')
    oneflow_url = oneflow_url or derive_url(api_url, ONEFLOW_PORT)
    return api_url, oneflow_url


class OneConnection:
    """Builds the oned and OneFlow clients from module or plugin options."""

    def __init__(self, params, environ=None, retry=None):
        self.api_url, self.oneflow_url = endpoints(params.get('api_url'), params.get('oneflow_url'))
        self.username, self.password = resolve_auth(params.get('api_username'), params.get('api_password'),
                                                    environ)
        self.validate_certs = params.get('validate_certs', True)
        self.ca_path = params.get('ca_path')
        self.timeout = params.get('api_timeout') or 30
        retries = params.get('api_retries')
        self.retry = retry or RetryPolicy(retries=3 if retries is None else retries)
        self._xmlrpc = None
        self._oneflow = None

    def xmlrpc(self):
        if self._xmlrpc is None:
            self._xmlrpc = OneXMLRPCClient(self.api_url, self.username, self.password, self.validate_certs,
                                           self.ca_path, self.timeout, self.retry)
        return self._xmlrpc

    def vm_lookup(self, vm_id):
        """A service VM's summary from oned (ids, state, IPs, USER_TEMPLATE); None once it is gone."""
        try:
            return vm_summary(self.xmlrpc().vm_info(vm_id))
        except OneNoExistsError:
            return None

    def oneflow(self):
        if self._oneflow is None:
            http = HTTPClient(self.oneflow_url, self.username, self.password, validate_certs=self.validate_certs,
                              ca_path=self.ca_path, timeout=self.timeout, retry=self.retry)
            self._oneflow = OneFlowClient(http)
        return self._oneflow

    def schema(self, requested='auto'):
        """The OneFlow schema: given explicitly, or read from ``one.system.version``."""
        if requested in SCHEMAS:
            return requested
        return schema_for_version(self.xmlrpc().version())


def _missing_pyone():
    return None if HAS_PYONE else ('pyone', PYONE_IMP_ERR)


# oned and OneFlow, for the modules that run on the controller (OpenNebulaModule.connection).
ONED = Connection(one_argument_spec, lambda params, warn: OneConnection(params), _missing_pyone)
