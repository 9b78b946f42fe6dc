# -*- coding: utf-8 -*-
# Copyright: opennebula.flower contributors
# Apache License 2.0 (see LICENSE or https://www.apache.org/licenses/LICENSE-2.0)
"""OneGate client for code running inside a VM.

Credentials come from ``/var/run/one-context/one_env`` (written by the one-apps context scripts:
``export TOKENTXT=... VMID=... ONEGATE_ENDPOINT=...``) or are passed explicitly. Every request carries
``X-ONEGATE-TOKEN`` and ``X-ONEGATE-VMID``. ``PUT /vm`` takes OpenNebula ``KEY=VALUE`` template text,
never JSON; ``type=2`` erases one attribute.

Published values travel in one encoding, written here and read back here (docs/appliance.md, "OneGate
contract"). OneGate's escape_attr and oned's template parser refuse or rewrite a value holding ``,`` ``[``
``]`` ``"`` ``\\`` or a line break, and store an empty value as ``"``. So a text made only of printable
characters other than those (and no leading or trailing blank) travels as it is, numbers and ``YES``/``NO``
included, for OneFlow's elasticity expressions and ready gate read them; any other text, and every list or
mapping, travels as ``ENCODED_PREFIX`` + base64 of its JSON. An empty value (``''``, ``None``, ``[]``) is
erased, never sent.
"""

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

import base64
import json
import shlex

from ansible_collections.opennebula.flower.plugins.module_utils._one_documents import as_list
from ansible_collections.opennebula.flower.plugins.module_utils._waiter import StateTable

DEFAULT_ONE_ENV = '/var/run/one-context/one_env'
ENCODED_PREFIX = 'base64json:'
_REFUSED_CHARACTERS = frozenset(',[]"\\')


class OneGateConfigError(ValueError):
    pass


def parse_one_env(text):
    """Variables of a one_env/context.sh file (``export K="v"`` or ``K='v'`` lines) as a dict."""
    result = {}
    for line in (text or '').splitlines():
        line = line.strip()
        if not line or line.startswith('#'):
            continue
        try:
            words = shlex.split(line, comments=True)
        except ValueError:
            continue
        if words and words[0] == 'export':
            words = words[1:]
        for word in words:
            if '=' in word:
                key, value = word.split('=', 1)
                result[key] = value
    return result


def resolve_credentials(endpoint=None, vmid=None, token=None, one_env_path=DEFAULT_ONE_ENV, reader=None):
    """Explicit values win; the rest come from ``one_env``. Returns (endpoint, vmid, token)."""
    env = {}
    if endpoint is None or vmid is None or token is None:
        read = reader or _read_file
        try:
            env = parse_one_env(read(one_env_path))
        except (IOError, OSError) as exc:
            raise OneGateConfigError('cannot read %s (%s); pass onegate_endpoint, vm_id and token explicitly'
                                     % (one_env_path, exc))
    endpoint = endpoint if endpoint is not None else env.get('ONEGATE_ENDPOINT')
    vmid = vmid if vmid is not None else env.get('VMID')
    token = token if token is not None else (env.get('TOKENTXT') or env.get('ONEGATE_TOKEN'))
    missing = [n for n, v in (('ONEGATE_ENDPOINT', endpoint), ('VMID', vmid), ('TOKENTXT', token))
               if v is None or v == '']
    if missing:
        raise OneGateConfigError('OneGate settings missing: %s (this VM needs CONTEXT=[TOKEN="YES"])'
                                 % ', '.join(missing))
    return endpoint.rstrip('/'), int(vmid), token.strip()


def _read_file(path):
    with open(path) as f:
        return f.read()


def encode_value(value):
    """The text ``PUT /vm`` sends for ``value``; ``None`` when the value is empty and must be erased instead."""
    if isinstance(value, bool):
        return 'YES' if value else 'NO'
    if value is None or (isinstance(value, (str, list, tuple, dict)) and not value):
        return None
    if isinstance(value, (int, float)):
        return str(value)
    if isinstance(value, str) and _travels_plain(value):
        return value
    text = json.dumps(value, ensure_ascii=False, sort_keys=True, separators=(',', ':'))
    return ENCODED_PREFIX + base64.b64encode(text.encode('utf-8')).decode('ascii')


def _travels_plain(text):
    return (text == text.strip() and not text.startswith(ENCODED_PREFIX)
            and all(c.isprintable() and c not in _REFUSED_CHARACTERS for c in text))


def decode_value(text):
    """The value ``encode_value`` sent (a text, a list or a mapping); any other text as it is."""
    if not isinstance(text, str) or not text.startswith(ENCODED_PREFIX):
        return text
    try:
        return json.loads(base64.b64decode(text[len(ENCODED_PREFIX):], validate=True).decode('utf-8'))
    except (ValueError, TypeError):
        return text


def decode_template(template):
    """A USER_TEMPLATE as published: every encoded value decoded."""
    return dict((k, decode_value(v)) for k, v in (template or {}).items())


def render_attributes(attrs):
    """``KEY=VALUE`` lines of already encoded values, as the context scripts send them."""
    lines = []
    for key, value in attrs.items():
        if not key or '=' in key or any(c.isspace() for c in key):
            raise ValueError('invalid attribute name %r' % (key,))
        lines.append('%s=%s' % (key, value))
    return '\n'.join(lines)


def user_template(vm_doc):
    tmpl = ((vm_doc or {}).get('VM') or {}).get('USER_TEMPLATE') or {}
    return tmpl if isinstance(tmpl, dict) else {}


def attributes_to_publish(current, desired):
    """The encoded attributes whose published text differs from the desired value's (empty values excluded)."""
    encoded = dict((k, encode_value(v)) for k, v in desired.items())
    return dict((k, v) for k, v in encoded.items() if v is not None and current.get(k) != v)


def attributes_to_erase(current, names):
    return [n for n in names if n in current]


def empty_attributes(desired):
    """Names whose desired value is empty: published as an erasure."""
    return [k for k, v in desired.items() if encode_value(v) is None]


def service_roles(service_doc):
    """Roles of a ``GET /service?extended=true`` answer with each node's id, name, state and USER_TEMPLATE."""
    service = (service_doc or {}).get('SERVICE') or {}
    roles = []
    for role in service.get('roles') or []:
        nodes = []
        for node in role.get('nodes') or []:
            vm = ((node.get('vm_info') or {}).get('VM') or {})
            tmpl = vm.get('USER_TEMPLATE') or {}
            nics = as_list((vm.get('TEMPLATE') or {}).get('NIC')) if isinstance(vm.get('TEMPLATE'), dict) else []
            nodes.append({
                'id': int(node.get('deploy_id', vm.get('ID'))),
                'name': vm.get('NAME'),
                'state': vm.get('STATE'),
                'lcm_state': vm.get('LCM_STATE'),
                'ips': [n.get('IP') for n in nics if isinstance(n, dict) and n.get('IP')],
                'user_template': decode_template(tmpl) if isinstance(tmpl, dict) else {},
            })
        roles.append({'name': role.get('name'), 'cardinality': role.get('cardinality'),
                      'state': role.get('state'), 'nodes': nodes})
    return roles


def attribute_ready(roles, attribute, role_name=None):
    """True when every node of the chosen role(s) has published ``attribute`` and the node count has
    reached the role's cardinality (so VMs still being created are waited for)."""
    chosen = [r for r in roles if role_name is None or r['name'] == role_name]
    if not chosen:
        return False
    for role in chosen:
        if len(role['nodes']) < int(role.get('cardinality') or 0):
            return False
        if not all(attribute in n['user_template'] for n in role['nodes']):
            return False
    return True


class OneGateClient:
    def __init__(self, http, vmid):
        self.http = http
        self.vmid = vmid

    def get_vm(self, vm_id=None):
        path = '/vm' if vm_id is None else '/vms/%d' % int(vm_id)
        return self.http.request('GET', path).json()

    def update_vm(self, attrs):
        self.http.request('PUT', '/vm', body=render_attributes(attrs), content_type='text/plain')

    def erase_vm_attribute(self, name):
        self.http.request('PUT', '/vm', body=name, query={'type': 2}, content_type='text/plain')

    def get_service(self, extended=True):
        query = {'extended': 'true'} if extended else None
        return self.http.request('GET', '/service', query=query).json()


def onegate_headers(vmid, token):
    return {'X-ONEGATE-TOKEN': token, 'X-ONEGATE-VMID': str(vmid), 'Accept': 'application/json'}


def ensure_vm_attributes(client, state='present', attributes=None, names=None, check_mode=False):
    """Publish ``attributes`` (state=present; empty values are erased) or erase ``names`` (state=absent) in the
    caller's USER_TEMPLATE.

    Only what differs is sent. Returns ``{changed, vm, diff}``; the diff shows decoded values.
    """
    vm = client.get_vm()
    current = user_template(vm)
    if state == 'present':
        publish = attributes_to_publish(current, attributes or {})
        erase = attributes_to_erase(current, empty_attributes(attributes or {}))
    else:
        publish, erase = {}, attributes_to_erase(current, names or [])
    changed = sorted(set(publish) | set(erase))
    before = dict((k, decode_value(current[k])) for k in changed if k in current)
    after = dict((k, decode_value(v)) for k, v in publish.items())
    if changed and not check_mode:
        if publish:
            client.update_vm(publish)
        for name in erase:
            client.erase_vm_attribute(name)
        vm = client.get_vm()
    return dict(changed=bool(changed), vm=vm, diff=dict(before=before, after=after))


def wait_for_attribute(client, waiter, attribute, role_name=None, **wait_kwargs):
    """Poll ``GET /service?extended=true`` until every VM of the role(s) has published ``attribute``."""
    table = StateTable('attribute %s on %s' % (attribute, 'role ' + role_name if role_name else 'every role'),
                       success=['PUBLISHED'], transitional=['WAITING'])
    return waiter.wait(
        lambda: client.get_service(extended=True),
        lambda doc: 'PUBLISHED' if attribute_ready(service_roles(doc), attribute, role_name) else 'WAITING',
        table, **wait_kwargs)
