# -*- coding: utf-8 -*-
# Copyright: opennebula.flower contributors
# Apache License 2.0 (see LICENSE or https://www.apache.org/licenses/LICENSE-2.0)
"""oned's XML-RPC client: pyone's ``OneServer`` carries the calls; errors, retries and documents are ours.

What pyone does here: it owns the connection (``requests``, one connection per call), TLS verification
(its ``https_verify`` option, given ``validate_certs`` or the ``ca_path`` bundle) and the XML-RPC encoding.
What it does not: pyone raises typed exceptions that drop oned's error code and parses documents into
generated bindings that drop elements they do not know, so the client reads the raw
``[ok, value, code(, resp_obj_id, replication_idx)]`` array pyone's transport returns, maps failures with
``map_one_error`` and reads documents with ``xml_to_dict``: modules return exactly what they returned
before. Transport failures (refused, timeout, TLS, HTTP status, unreadable body) become ``TransportError``
and go through the same ``RetryPolicy`` as OneFlow's and OneGate's.
"""

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

import socket
import ssl
import traceback
import warnings
import xml.etree.ElementTree as ET
import xmlrpc.client as xmlrpc_client
from urllib.error import URLError
from xml.parsers.expat import ExpatError

from ansible_collections.opennebula.flower.plugins.module_utils._http import (
    RetryPolicy, TransportError, map_transport_error,
)
from ansible_collections.opennebula.flower.plugins.module_utils._one_documents import as_list, parse_xml
from ansible_collections.opennebula.flower.plugins.module_utils._one_errors import OneError, map_one_error
from ansible_collections.opennebula.flower.plugins.module_utils._one_template_syntax import render_template

PYONE_IMP_ERR = None
try:
    import pyone
    import requests
    import urllib3
    from pyone.server_xrpc import RequestsTransport
    HAS_PYONE = True
except ImportError:
    PYONE_IMP_ERR = traceback.format_exc()
    HAS_PYONE = False
    RequestsTransport = object

# Calls that only read are repeated on any retryable error; the others only when the connection was refused.
READ_ONLY_PREFIXES = ('info', 'version', 'config')


class PyoneMissingError(ImportError):
    """pyone (or one of its dependencies) is not installed; ``import_error`` is the traceback."""

    def __init__(self):
        super(PyoneMissingError, self).__init__('the oned client needs the Python library pyone')
        self.import_error = PYONE_IMP_ERR


class _TimeoutTransport(RequestsTransport):
    """pyone's Requests transport with the timeout on each request.

    pyone's own ``timeout`` option calls ``socket.setdefaulttimeout``, which is process-wide (the inventory
    plugin runs inside ansible-playbook) and which requests ignores anyway: it sets its sockets blocking when
    it is given no timeout. So OneServer gets no timeout, this transport passes ours to ``requests.post``,
    and the process's default socket timeout is never touched.
    """

    def __init__(self, https, https_verify, timeout):
        RequestsTransport.__init__(self)
        self.set_https(https)
        self.set_https_verify(https_verify)
        self.timeout = timeout

    def request(self, host, handler, request_body, verbose=False):
        url = self._build_url(host, handler)
        with warnings.catch_warnings():
            if self.https_verify is False:
                # validate_certs=false was asked for: no InsecureRequestWarning for it on every call
                warnings.simplefilter('ignore', urllib3.exceptions.InsecureRequestWarning)
            resp = requests.post(url, data=request_body, headers=self.headers, verify=self.https_verify,
                                 timeout=self.timeout)
        if resp.status_code >= 400:
            raise xmlrpc_client.ProtocolError(url, resp.status_code, resp.reason, resp.headers)
        return self.parse_response(resp)


def https_verify(validate_certs=True, ca_path=None):
    """pyone's ``https_verify`` (requests' ``verify``): False, True, or the CA bundle to verify with."""
    if not validate_certs:
        return False
    return ca_path or True


def _root_cause(exc):
    """The socket or TLS error under the wrappers of requests and urllib3 (reason, cause, context, args)."""
    seen = set()
    while id(exc) not in seen:
        seen.add(id(exc))
        if isinstance(exc, (ssl.SSLError, ssl.CertificateError, ConnectionRefusedError, socket.timeout)):
            return exc
        inner = [getattr(exc, 'reason', None), exc.__cause__, exc.__context__] + list(exc.args[:1])
        inner = [e for e in inner if isinstance(e, BaseException)]
        if not inner:
            return exc
        exc = inner[0]
    return exc


class OneXMLRPCClient:
    def __init__(self, url, username, password, validate_certs=True, ca_path=None, timeout=30, retry=None):
        if not HAS_PYONE:
            raise PyoneMissingError()
        self.url = url
        self.session = '%s:%s' % (username, password)
        self.retry = retry if retry is not None else RetryPolicy()
        verify = https_verify(validate_certs, ca_path)
        self._server = pyone.OneServer(url, session=self.session, https_verify=verify, protocol='xmlrpc')
        # OneServer builds its transport itself; ours differs only by the timeout (see _TimeoutTransport).
        self._server._ServerProxy__transport = _TimeoutTransport(url.startswith('https://'), verify, timeout)

    def call(self, method, *args):
        """Call ``one.<method>`` with the session first; return the value or raise an APIError."""
        full = 'one.' + method
        read_only = method.rsplit('.', 1)[-1].startswith(READ_ONLY_PREFIXES)
        return self.retry.call(lambda: self._call_once(full, args, read_only))

    def _call_once(self, method, args, read_only):
        try:
            # _do_request returns oned's array as it came; pyone's public calls would raise typed
            # exceptions without the error code and bind documents (see the module's docstring).
            response = self._server._do_request(method, (self.session,) + tuple(args))
        except xmlrpc_client.ProtocolError as exc:
            retryable = exc.errcode in (502, 503, 504) and (read_only or exc.errcode == 503)
            raise TransportError('%s: HTTP %s %s from %s' % (method, exc.errcode, exc.errmsg, self.url),
                                 status=exc.errcode, url=self.url, method=method, retryable=retryable)
        except pyone.OneException as exc:
            fault = exc.__context__ if isinstance(exc.__context__, xmlrpc_client.Fault) else None
            raise OneError('%s: %s' % (method, fault.faultString if fault else exc),
                           code=fault.faultCode if fault else None, url=self.url, method=method)
        except (xmlrpc_client.ResponseError, ET.ParseError, ExpatError) as exc:
            raise TransportError('%s: unreadable response from %s: %s' % (method, self.url, exc), url=self.url,
                                 method=method)
        except (requests.RequestException, socket.error, OSError) as exc:
            raise map_transport_error(URLError(_root_cause(exc)), url=self.url,
                                      method='GET' if read_only else 'POST')
        if not isinstance(response, (list, tuple)) or not response:
            raise OneError('%s: unexpected response %r' % (method, response), method=method)
        if not response[0]:
            raise map_one_error(method, response)
        return response[1]

    def _doc(self, method, *args):
        return parse_xml(self.call(method, *args))

    def _pool(self, element, method, *args):
        pool = self._doc(method, *args)
        return as_list(pool.get(element)) if isinstance(pool, dict) else []

    # system and users
    def version(self):
        return self.call('system.version')

    def whoami(self):
        return self._doc('user.info', -1)

    # VMs
    def vm_info(self, vm_id):
        return self._doc('vm.info', int(vm_id))

    def vm_pool(self, state=-1):
        return self._pool('VM', 'vmpool.infoextended', -2, -1, -1, state)

    # images
    def image_pool(self, owner_filter=-3):
        return self._pool('IMAGE', 'imagepool.info', owner_filter, -1, -1)

    def image_info(self, image_id):
        return self._doc('image.info', int(image_id))

    def image_allocate(self, attrs, datastore_id, no_check_capacity=False):
        args = [render_template(attrs), int(datastore_id)]
        if no_check_capacity:
            args.append(True)
        return self.call('image.allocate', *args)

    def image_delete(self, image_id):
        return self.call('image.delete', int(image_id))

    # VM templates
    def template_pool(self, owner_filter=-3):
        return self._pool('VMTEMPLATE', 'templatepool.info', owner_filter, -1, -1)

    def template_info(self, template_id):
        return self._doc('template.info', int(template_id))

    def template_allocate(self, text):
        return self.call('template.allocate', text)

    def template_update(self, template_id, text, merge=False):
        return self.call('template.update', int(template_id), text, 1 if merge else 0)

    def template_delete(self, template_id):
        return self.call('template.delete', int(template_id))
