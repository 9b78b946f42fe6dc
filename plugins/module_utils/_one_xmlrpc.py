# -*- coding: utf-8 -*-
# Copyright: opennebula.flower contributors
# Apache License 2.0 (see LICENSE or https://www.apache.org/licenses/LICENSE-2.0)
"""oned's XML-RPC client.

Why the standard library's ``xmlrpc.client`` and not pyone:
- nothing to install on the managed node or in the execution environment (pyone pulls lxml, requests,
  xmltodict, tblib and, from 7.2 on, grpcio), and no pyone series has to match the server's series;
- TLS verification is under our control: pyone's Requests transport ignores an SSL ``context``, the
  trick community.general relies on, so ``validate_certs``/``ca_path`` would silently not apply;
- every failure comes out as one exception hierarchy: pyone raises typed exceptions for oned errors but
  lets ``ProtocolError`` and ``requests`` connection errors through unwrapped;
- the collection needs about fifteen calls and wants plain dicts (pyone's generated bindings quietly drop
  elements they do not know).
The wire format is the same: ``[ok, value, code(, resp_obj_id, replication_idx)]`` arrays whose first
parameter is the ``user:password`` session.
"""

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

import socket
import ssl
import xml.etree.ElementTree as ET

import xmlrpc.client as xmlrpc_client

from ansible_collections.opennebula.flower.plugins.module_utils._http import (
    RetryPolicy, TransportError, map_transport_error,
)
from ansible_collections.opennebula.flower.plugins.module_utils._one_documents import as_list, parse_xml
from ansible_collections.opennebula.flower.plugins.module_utils._one_errors import OneError, map_one_error
from ansible_collections.opennebula.flower.plugins.module_utils._one_template_syntax import render_template


class _FreshConnectionMixin:
    """One connection per call, with a timeout.

    A kept-alive connection costs a delayed-ACK stall (about 40 ms per call) against servers that write the
    headers and the body of a response separately; a new loopback or LAN connection costs far less.
    """

    def make_connection(self, host):
        self.close()
        conn = self._base.make_connection(self, host)
        conn.timeout = self._timeout
        return conn


class _Transport(_FreshConnectionMixin, xmlrpc_client.Transport):
    _base = xmlrpc_client.Transport

    def __init__(self, timeout):
        xmlrpc_client.Transport.__init__(self)
        self._timeout = timeout


class _SafeTransport(_FreshConnectionMixin, xmlrpc_client.SafeTransport):
    _base = xmlrpc_client.SafeTransport

    def __init__(self, timeout, context):
        xmlrpc_client.SafeTransport.__init__(self, context=context)
        self._timeout = timeout


def ssl_context(validate_certs=True, ca_path=None):
    if not validate_certs:
        context = ssl.create_default_context()
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
        return context
    return ssl.create_default_context(cafile=ca_path) if ca_path else ssl.create_default_context()


# Calls that only read are repeated on any retryable error; the others only when the connection was refused.
READ_ONLY_PREFIXES = ('info', 'version', 'config')


class OneXMLRPCClient:
    def __init__(self, url, username, password, validate_certs=True, ca_path=None, timeout=30, retry=None):
        self.url = url
        self.session = '%s:%s' % (username, password)
        self.retry = retry if retry is not None else RetryPolicy()
        if url.startswith('https://'):
            transport = _SafeTransport(timeout, ssl_context(validate_certs, ca_path))
        else:
            transport = _Transport(timeout)
        self._proxy = xmlrpc_client.ServerProxy(url, transport=transport, allow_none=False)

    def call(self, method, *args):
        """Call ``one.<method>`` with the session first; return the value or raise an APIError."""
        full = 'one.' + method
        read_only = method.rsplit('.', 1)[-1].startswith(READ_ONLY_PREFIXES)
        return self.retry.call(lambda: self._call_once(full, args, read_only))

    def _call_once(self, method, args, read_only):
        try:
            response = getattr(self._proxy, method)(self.session, *args)
        except xmlrpc_client.ProtocolError as exc:
            retryable = exc.errcode in (502, 503, 504) and (read_only or exc.errcode == 503)
            raise TransportError('%s: HTTP %s %s from %s' % (method, exc.errcode, exc.errmsg, self.url),
                                 status=exc.errcode, url=self.url, method=method, retryable=retryable)
        except xmlrpc_client.Fault as exc:
            raise OneError('%s: %s' % (method, exc.faultString), code=exc.faultCode, url=self.url, method=method)
        except (socket.error, OSError) as exc:
            raise map_transport_error(exc, url=self.url, method='GET' if read_only else 'POST')
        except (xmlrpc_client.ResponseError, ET.ParseError) as exc:
            raise TransportError('%s: unreadable response from %s: %s' % (method, self.url, exc), url=self.url,
                                 method=method)
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
