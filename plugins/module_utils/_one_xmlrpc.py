# -*- coding: utf-8 -*-
# Copyright: opennebula.flower contributors
# Apache License 2.0 (see LICENSE or https://www.apache.org/licenses/LICENSE-2.0)
"""oned XML-RPC client, OpenNebula template syntax and XML documents as dicts.

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
    APIError, AuthenticationError, NotFoundError, RetryPolicy, ServerError, TransportError, map_transport_error,
)
from ansible_collections.opennebula.flower.plugins.module_utils._waiter import (
    ABSENT, IMAGE_READY, StateTable, WaitError,
)

# ---------------------------------------------------------------------------------------------------------------
# Errors


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


# ---------------------------------------------------------------------------------------------------------------
# State names

VM_STATES = ['INIT', 'PENDING', 'HOLD', 'ACTIVE', 'STOPPED', 'SUSPENDED', 'DONE', 'FAILED', 'POWEROFF',
             'UNDEPLOYED', 'CLONING', 'CLONING_FAILURE']
LCM_STATES = [
    'LCM_INIT', 'PROLOG', 'BOOT', 'RUNNING', 'MIGRATE', 'SAVE_STOP', 'SAVE_SUSPEND', 'SAVE_MIGRATE',
    'PROLOG_MIGRATE', 'PROLOG_RESUME', 'EPILOG_STOP', 'EPILOG', 'SHUTDOWN', 'CANCEL', 'FAILURE',
    'CLEANUP_RESUBMIT', 'UNKNOWN', 'HOTPLUG', 'SHUTDOWN_POWEROFF', 'BOOT_UNKNOWN', 'BOOT_POWEROFF',
    'BOOT_SUSPENDED', 'BOOT_STOPPED', 'CLEANUP_DELETE', 'HOTPLUG_SNAPSHOT', 'HOTPLUG_NIC', 'HOTPLUG_SAVEAS',
    'HOTPLUG_SAVEAS_POWEROFF', 'HOTPLUG_SAVEAS_SUSPENDED', 'SHUTDOWN_UNDEPLOY', 'EPILOG_UNDEPLOY',
    'PROLOG_UNDEPLOY', 'BOOT_UNDEPLOY', 'HOTPLUG_PROLOG_POWEROFF', 'HOTPLUG_EPILOG_POWEROFF', 'BOOT_MIGRATE',
    'BOOT_FAILURE', 'BOOT_MIGRATE_FAILURE', 'PROLOG_MIGRATE_FAILURE', 'PROLOG_FAILURE', 'EPILOG_FAILURE',
    'EPILOG_STOP_FAILURE', 'EPILOG_UNDEPLOY_FAILURE', 'PROLOG_MIGRATE_POWEROFF',
    'PROLOG_MIGRATE_POWEROFF_FAILURE', 'PROLOG_MIGRATE_SUSPEND', 'PROLOG_MIGRATE_SUSPEND_FAILURE',
    'BOOT_UNDEPLOY_FAILURE', 'BOOT_STOPPED_FAILURE', 'PROLOG_RESUME_FAILURE', 'PROLOG_UNDEPLOY_FAILURE',
]
IMAGE_STATES = ['INIT', 'READY', 'USED', 'DISABLED', 'LOCKED', 'ERROR', 'CLONE', 'DELETE', 'USED_PERS',
                'LOCKED_USED', 'LOCKED_USED_PERS']


def _name(table, value, prefix):
    try:
        index = int(value)
    except (TypeError, ValueError):
        return str(value)
    if 0 <= index < len(table):
        return table[index]
    return '%s_%d' % (prefix, index)


def vm_state_name(vm):
    """``STATE`` or ``STATE/LCM_STATE`` for ACTIVE VMs, e.g. ``ACTIVE/RUNNING``, ``ACTIVE/BOOT_FAILURE``."""
    state = _name(VM_STATES, vm.get('STATE'), 'STATE')
    if state == 'ACTIVE':
        return '%s/%s' % (state, _name(LCM_STATES, vm.get('LCM_STATE'), 'LCM'))
    return state


def image_state_name(image):
    return _name(IMAGE_STATES, image.get('STATE'), 'STATE')


# ---------------------------------------------------------------------------------------------------------------
# Documents


def as_list(value):
    """OpenNebula returns one element as a dict and several as a list; absent or empty means none."""
    if value is None or value == '' or value == {}:
        return []
    if isinstance(value, list):
        return value
    return [value]


def xml_to_dict(element):
    """An XML element as nested dicts; repeated children become lists, leaves become strings."""
    children = list(element)
    if not children:
        return element.text or ''
    result = {}
    for child in children:
        value = xml_to_dict(child)
        if child.tag in result:
            if not isinstance(result[child.tag], list):
                result[child.tag] = [result[child.tag]]
            result[child.tag].append(value)
        else:
            result[child.tag] = value
    return result


def parse_xml(text):
    return xml_to_dict(ET.fromstring(text))


def nic_addresses(vm):
    """NICs (and aliases) of a VM document: a list of dicts, whether the XML had none, one or several."""
    template = vm.get('TEMPLATE') or {}
    if not isinstance(template, dict):
        return []
    nics = []
    for key in ('NIC', 'NIC_ALIAS'):
        for nic in as_list(template.get(key)):
            if isinstance(nic, dict):
                nics.append(nic)
    return nics


def vm_ips(vm):
    ips = []
    for nic in nic_addresses(vm):
        for key in ('IP', 'IP6_GLOBAL', 'IP6_ULA', 'IP6'):
            if nic.get(key):
                ips.append(nic[key])
    return ips


def vm_summary(vm):
    """The facts a playbook needs about a VM: ids, state, addresses and the USER_TEMPLATE."""
    user_template = vm.get('USER_TEMPLATE') or {}
    return {
        'id': int(vm['ID']),
        'name': vm.get('NAME'),
        'state': vm_state_name(vm),
        'ips': vm_ips(vm),
        'nics': [dict((k, v) for k, v in nic.items() if k in NIC_KEYS) for nic in nic_addresses(vm)],
        'user_template': user_template if isinstance(user_template, dict) else {},
    }


NIC_KEYS = ('NIC_ID', 'NAME', 'NETWORK', 'NETWORK_ID', 'IP', 'IP6', 'IP6_GLOBAL', 'IP6_ULA', 'IP6_LINK', 'MAC',
            'EXTERNAL_IP', 'PARENT')


# ---------------------------------------------------------------------------------------------------------------
# OpenNebula template syntax: KEY="value", KEY=[A="b",C="d"], repeated keys for several vectors.


def _quote(value):
    if isinstance(value, bool):
        value = 'YES' if value else 'NO'
    return '"%s"' % str(value).replace('\\', '\\\\').replace('"', '\\"')


def render_template(attrs):
    """A dict as template text. Lists repeat the key, dicts become vectors. Key order is kept."""
    lines = []
    for key, value in attrs.items():
        for item in (value if isinstance(value, list) else [value]):
            if isinstance(item, dict):
                inner = ','.join('%s=%s' % (k, _quote(v)) for k, v in item.items())
                lines.append('%s=[%s]' % (key, inner))
            elif item is None:
                continue
            else:
                lines.append('%s=%s' % (key, _quote(item)))
    return '\n'.join(lines)


class TemplateSyntaxError(ValueError):
    pass


def _tokenize(text):
    i, n = 0, len(text)
    while i < n:
        c = text[i]
        if c in ' \t\r':
            i += 1
        elif c == '#':
            while i < n and text[i] != '\n':
                i += 1
        elif c in '\n=[],':
            yield (c, c)
            i += 1
        elif c == '"':
            i += 1
            buf = []
            while i < n and text[i] != '"':
                if text[i] == '\\' and i + 1 < n and text[i + 1] in '"\\':
                    i += 1
                buf.append(text[i])
                i += 1
            if i >= n:
                raise TemplateSyntaxError('unterminated string')
            i += 1
            yield ('str', ''.join(buf))
        else:
            start = i
            while i < n and text[i] not in '\n=[],"#':
                i += 1
            yield ('word', text[start:i].strip())


def _add(target, key, value):
    if key in target:
        if not isinstance(target[key], list):
            target[key] = [target[key]]
        target[key].append(value)
    else:
        target[key] = value


def parse_template(text):
    """Template text as a dict (keys upper-cased as oned does); a key given twice becomes a list."""
    tokens = list(_tokenize(text or ''))
    result = {}
    pos = 0

    def expect(kind):
        if pos >= len(tokens) or tokens[pos][0] != kind:
            raise TemplateSyntaxError('expected %r at token %d' % (kind, pos))

    while pos < len(tokens):
        kind, value = tokens[pos]
        if kind == '\n':
            pos += 1
            continue
        if kind != 'word' or not value:
            raise TemplateSyntaxError('expected an attribute name, got %r' % (value,))
        key = value.upper()
        pos += 1
        expect('=')
        pos += 1
        if pos < len(tokens) and tokens[pos][0] == '[':
            pos += 1
            vector = {}
            while True:
                while pos < len(tokens) and tokens[pos][0] in ('\n', ','):
                    pos += 1
                if pos < len(tokens) and tokens[pos][0] == ']':
                    pos += 1
                    break
                expect('word')
                sub = tokens[pos][1].upper()
                pos += 1
                expect('=')
                pos += 1
                sub_value = ''
                if pos < len(tokens) and tokens[pos][0] in ('str', 'word'):
                    sub_value = tokens[pos][1]
                    pos += 1
                vector[sub] = sub_value
            _add(result, key, vector)
        else:
            item = ''
            if pos < len(tokens) and tokens[pos][0] in ('str', 'word'):
                item = tokens[pos][1]
                pos += 1
            _add(result, key, item)
    return result


def normalise_template(attrs):
    """Compare-ready form: upper-case keys, string values, a one-element list unwrapped."""
    if isinstance(attrs, dict):
        return dict((str(k).upper(), normalise_template(v)) for k, v in attrs.items())
    if isinstance(attrs, list):
        items = [normalise_template(v) for v in attrs]
        return items[0] if len(items) == 1 else items
    if isinstance(attrs, bool):
        return 'YES' if attrs else 'NO'
    if attrs is None:
        return ''
    return str(attrs)


# ---------------------------------------------------------------------------------------------------------------
# Client


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


def find_by_name(items, name):
    """The one item named ``name``, None if there is none; ValueError if the name is ambiguous."""
    matches = [item for item in items if item.get('NAME') == name]
    if len(matches) > 1:
        raise ValueError('%d objects are named %r (ids %s); names must be unique'
                         % (len(matches), name, ', '.join(str(m.get('ID')) for m in matches)))
    return matches[0] if matches else None


# ---------------------------------------------------------------------------------------------------------------
# Reconciliation used by the modules


def image_summary(image):
    template = image.get('TEMPLATE') if isinstance(image.get('TEMPLATE'), dict) else {}
    return {
        'id': int(image['ID']), 'name': image.get('NAME'), 'state': image_state_name(image),
        'type': image.get('TYPE'), 'size': image.get('SIZE'), 'path': image.get('PATH'),
        'source': image.get('SOURCE'), 'format': image.get('FORMAT'),
        'datastore_id': int(image['DATASTORE_ID']) if image.get('DATASTORE_ID') not in (None, '') else None,
        'error': template.get('ERROR'),
    }


class ImageError(Exception):
    def __init__(self, message, image=None, changed=False):
        super(ImageError, self).__init__(message)
        self.message = message
        self.image = image
        self.changed = changed


def ensure_image(one, waiter, name, state='present', attrs=None, datastore_id=1, wait=True, wait_kwargs=None,
                 check_mode=False):
    """Register an image once by name and wait LOCKED -> READY, or delete it. Returns ``{changed, image}``."""
    wait_kwargs = wait_kwargs or {}
    existing = find_by_name(one.image_pool(), name)

    def fetch(image_id):
        try:
            return one.image_info(image_id)
        except OneNoExistsError:
            return None

    def wait_ready(image_id, changed):
        try:
            return waiter.wait(lambda: fetch(image_id), lambda i: ABSENT if i is None else image_state_name(i),
                               IMAGE_READY, describe=lambda i: (i or {}).get('TEMPLATE', {}).get('ERROR', '')
                               if isinstance((i or {}).get('TEMPLATE'), dict) else '', **wait_kwargs)
        except WaitError as exc:
            raise ImageError('image %s: %s' % (name, exc.message),
                             image_summary(exc.resource) if exc.resource else None, changed)

    if state == 'absent':
        if existing is None:
            return dict(changed=False, image=None)
        if not check_mode:
            image_id = int(existing['ID'])
            one.image_delete(image_id)
            if wait:
                gone = StateTable('image deleted', success=[ABSENT], failure=['ERROR'], transitional=['*'])
                try:
                    waiter.wait(lambda: fetch(image_id), lambda i: ABSENT if i is None else image_state_name(i),
                                gone, **wait_kwargs)
                except WaitError as exc:
                    raise ImageError('image %s: %s' % (name, exc.message), None, True)
        return dict(changed=True, image=image_summary(existing))

    if existing is not None:
        summary = image_summary(existing)
        if summary['state'] == 'ERROR':
            raise ImageError('image %s (id %d) is in state ERROR: %s; delete it (state=absent) to register it again'
                             % (name, summary['id'], summary['error'] or 'no error text'), summary)
        if wait and summary['state'] not in ('READY', 'USED', 'USED_PERS'):
            summary = image_summary(wait_ready(summary['id'], False))
        return dict(changed=False, image=summary)
    if check_mode:
        return dict(changed=True, image=None)
    image_id = one.image_allocate(dict(NAME=name, **(attrs or {})), datastore_id)
    image = wait_ready(image_id, True) if wait else one.image_info(image_id)
    return dict(changed=True, image=image_summary(image))


def ensure_vm_template(one, name, template=None, state='present', check_mode=False):
    """A VM template present with exactly ``template`` (dict or template text), or absent.

    Returns ``{changed, id, template, diff}`` with the normalised attributes before and after.
    """
    existing = find_by_name(one.template_pool(), name)
    before = {}
    if existing is not None:
        before = normalise_template(one.template_info(int(existing['ID'])).get('TEMPLATE') or {})
        if not isinstance(before, dict):
            before = {}
    if state == 'absent':
        if existing is None:
            return dict(changed=False, id=None, template=None, diff=dict(before={}, after={}))
        if not check_mode:
            one.template_delete(int(existing['ID']))
        return dict(changed=True, id=int(existing['ID']), template=None, diff=dict(before=before, after={}))
    desired = parse_template(template) if isinstance(template, str) else dict(template or {})
    desired = normalise_template(desired)
    desired.pop('NAME', None)
    diff = dict(before=before, after=desired)
    if existing is not None and before == desired:
        return dict(changed=False, id=int(existing['ID']), template=before, diff=diff)
    if check_mode:
        return dict(changed=True, id=int(existing['ID']) if existing is not None else None, template=desired,
                    diff=diff)
    if existing is None:
        template_id = one.template_allocate(render_template(dict(NAME=name, **desired)))
    else:
        template_id = int(existing['ID'])
        one.template_update(template_id, render_template(desired), merge=False)
    return dict(changed=True, id=template_id, template=desired, diff=diff)
