# -*- coding: utf-8 -*-
# Copyright: opennebula.flower contributors
# Apache License 2.0 (see LICENSE or https://www.apache.org/licenses/LICENSE-2.0)
"""oned's error arrays as exceptions: ``[False, message, code(, resp_obj_id, replication_idx)]``."""

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

from ansible_collections.opennebula.flower.plugins.module_utils._http import (
    APIError, AuthenticationError, NotFoundError, ServerError,
)


class OneError(APIError):
    """An oned error array. ``code`` is the oned error code (0x100 AUTHENTICATION ... 0x10000 REPLICATION)."""

    def __init__(self, message, code=None, **kwargs):
        super(OneError, self).__init__(message, **kwargs)
        self.code = code


class OneAuthenticationError(OneError, AuthenticationError):
    pass


class OneAuthorizationError(OneError, AuthenticationError):
    pass


class OneNoExistsError(OneError, NotFoundError):
    pass


class OneActionError(OneError):
    pass


class OneInternalError(OneError, ServerError):
    pass


ONE_ERROR_CLASSES = {
    0x100: OneAuthenticationError,
    0x200: OneAuthorizationError,
    0x400: OneNoExistsError,
    0x800: OneActionError,
    0x2000: OneInternalError,
}


def map_one_error(method, response):
    """Map a failed ``[False, message, code, ...]`` array to a OneError subclass."""
    message = response[1] if len(response) > 1 else 'unknown error'
    code = response[2] if len(response) > 2 else None
    cls = ONE_ERROR_CLASSES.get(code, OneError)
    return cls(str(message), code=code, method=method)
