# -*- coding: utf-8 -*-
# Copyright: opennebula.flower contributors
# Apache License 2.0 (see LICENSE or https://www.apache.org/licenses/LICENSE-2.0)
"""OneGate connection options and the client built from them, for code running inside a VM.

Imports neither oned's nor OneFlow's client: the in-VM modules and the enrollment service carry only this.
"""

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

from ansible_collections.opennebula.flower.plugins.module_utils._http import HTTPClient, RetryPolicy
from ansible_collections.opennebula.flower.plugins.module_utils._one_module import Connection
from ansible_collections.opennebula.flower.plugins.module_utils._onegate import (
    DEFAULT_ONE_ENV, OneGateClient, onegate_headers, resolve_credentials,
)


def onegate_argument_spec():
    return dict(
        onegate_endpoint=dict(type='str'),
        vm_id=dict(type='int'),
        token=dict(type='str', no_log=True),
        one_env_path=dict(type='path', default=DEFAULT_ONE_ENV),
        validate_certs=dict(type='bool', default=True),
        ca_path=dict(type='path'),
        api_timeout=dict(type='int', default=30),
        retries=dict(type='int', default=3),
    )


# OneGate answers 500 both for a value oned refuses and when it cannot reach oned: the second passes.
ONEGATE_ALSO_RETRY = (500,)


def onegate_retry_policy(params, warn=None):
    """Capped exponential backoff for the onegate options; ``warn(text)`` is told of each retry."""
    def on_retry(error, attempt, delay):
        if warn is not None:
            warn('OneGate: %s; retry %d of %d in %.1f s' % (error, attempt, params.get('retries', 3), delay))
    return RetryPolicy(retries=params.get('retries', 3), also_retry=ONEGATE_ALSO_RETRY, on_retry=on_retry)


def onegate_client(params, reader=None, retry=None):
    """A OneGateClient from the onegate options; raises OneGateConfigError when settings are missing."""
    retry = retry if retry is not None else onegate_retry_policy(params)
    endpoint, vmid, token = resolve_credentials(params.get('onegate_endpoint'), params.get('vm_id'),
                                                params.get('token'), params.get('one_env_path') or DEFAULT_ONE_ENV,
                                                reader=reader)
    http = HTTPClient(endpoint, headers=onegate_headers(vmid, token), validate_certs=params.get('validate_certs', True),
                      ca_path=params.get('ca_path'), timeout=params.get('api_timeout') or 30, retry=retry)
    return OneGateClient(http, vmid)


# OneGate, for the modules that run inside a VM (OpenNebulaModule.connection).
ONEGATE = Connection(onegate_argument_spec,
                     lambda params, warn: onegate_client(params, retry=onegate_retry_policy(params, warn)))
