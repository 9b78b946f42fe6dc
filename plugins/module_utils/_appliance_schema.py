# -*- coding: utf-8 -*-
# Copyright: opennebula.flower contributors
# Apache License 2.0 (see LICENSE or https://www.apache.org/licenses/LICENSE-2.0)
"""The one schema of the appliances' CONTEXT variables.

Everything about a variable lives here: its type, default, allowed values, the roles that read it and its
description. From it come the validation at boot (every error at once), the ``user_inputs`` of the VM and
OneFlow templates, and the reference table in docs/appliance-context.md. The mapping to role variables is in
``_appliance_vars``.
"""

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

import base64
import binascii
import ipaddress
import re

PREFIX = 'ONEAPP_'
SUPERLINK = 'superlink'
SUPERNODE = 'supernode'
BOTH = (SUPERLINK, SUPERNODE)

_HOSTNAME = re.compile(r'^(?=.{1,253}$)[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?(\.[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*$')
_VERSION = re.compile(r'^[0-9]+\.[0-9]+\.[0-9]+$')
_NODE_CONFIG_KEY = re.compile(r'^[a-z][a-z0-9_-]{0,63}$')
_NODE_CONFIG_VALUE = re.compile(r'^(-?[0-9]+(\.[0-9]+)?|true|false|"[A-Za-z0-9 ._:/-]{0,128}")$')


class Variable(object):
    """One CONTEXT variable. ``check(value, allowed)`` returns an error text or None for a parsed value."""

    def __init__(self, name, roles, kind, default, description, choices=None, minimum=None, maximum=None,
                 check=None, allowed=None, secret=False, mandatory=False):
        self.name = name
        self.roles = roles
        self.kind = kind                # boolean | text | text64 | list | number | number-float
        self.default = default
        self.description = description
        self.choices = choices
        self.minimum = minimum
        self.maximum = maximum
        self.check = check
        self.allowed = allowed          # what the error message says is allowed, for free-form checks
        self.secret = secret
        self.mandatory = mandatory

    @property
    def context_name(self):
        return PREFIX + self.name

    def user_input(self):
        """OpenNebula's ``M|O|type|description|options|default`` string."""
        options = ''
        if self.choices:
            options = ','.join(self.choices)
        default = self.default
        if isinstance(default, bool):
            default = 'YES' if default else 'NO'
        return '|'.join(['M' if self.mandatory else 'O', self.kind, self.description, options,
                         '' if default is None else str(default)])

    def allowed_text(self):
        if self.choices:
            return 'one of ' + ', '.join(self.choices)
        if self.kind == 'boolean':
            return 'YES or NO'
        if self.kind in ('number', 'number-float'):
            kind = 'an integer' if self.kind == 'number' else 'a number'
            if self.minimum is not None and self.maximum is not None:
                return '%s from %s to %s' % (kind, self.minimum, self.maximum)
            if self.minimum is not None:
                return '%s >= %s' % (kind, self.minimum)
            return kind
        return self.allowed or 'text'


def _pem_certificates(value):
    text = value.decode('utf-8', 'replace') if isinstance(value, bytes) else value
    if '-----BEGIN CERTIFICATE-----' not in text:
        return 'it is not a base64-encoded PEM certificate'
    return None


def _pem_private_key(value):
    text = value.decode('utf-8', 'replace') if isinstance(value, bytes) else value
    if not re.search(r'-----BEGIN (EC |RSA |ENCRYPTED )?PRIVATE KEY-----', text):
        return 'it is not a base64-encoded PEM private key'
    if 'ENCRYPTED' in text:
        return 'the key is encrypted; the appliance needs it without a passphrase'
    return None


def _version(value):
    return None if _VERSION.match(value) else 'it is not a release number like 1.42.0'


def _host_port(value):
    host, sep, port = value.rpartition(':')
    if not sep or not port.isdigit() or not 1 <= int(port) <= 65535:
        return 'it is not host:port with a port from 1 to 65535'
    host = host[1:-1] if host.startswith('[') and host.endswith(']') else host
    try:
        ipaddress.ip_address(host)
        return None
    except ValueError:
        pass
    return None if _HOSTNAME.match(host) else 'the host is neither an IP address nor a DNS name'


def parse_subject_alt_names(value):
    """``IP:1.2.3.4,DNS:fl.example.org`` -> ['1.2.3.4', 'fl.example.org']; raises ValueError."""
    names = []
    for item in [i.strip() for i in value.split(',') if i.strip()]:
        kind, sep, name = item.partition(':')
        if not sep or kind.upper() not in ('IP', 'DNS'):
            raise ValueError('%r is not IP:<address> or DNS:<name>' % item)
        if kind.upper() == 'IP':
            try:
                name = str(ipaddress.ip_address(name))
            except ValueError:
                raise ValueError('%r is not an IP address' % name)
        elif not _HOSTNAME.match(name):
            raise ValueError('%r is not a DNS name' % name)
        names.append(name)
    return names


def _sans(value):
    try:
        parse_subject_alt_names(value)
    except ValueError as exc:
        return str(exc)
    return None


def parse_node_config(value):
    """Flower's ``--node-config`` text (``key=value`` pairs separated by spaces) -> dict; raises ValueError.

    Values are integers, floats, true/false or double-quoted strings of safe characters, so the text can never
    carry a shell or unit-file metacharacter.
    """
    if re.search(r'[\x00-\x1f\x7f]', value):
        raise ValueError('it holds a line break or another control character')
    result = {}
    for pair in re.findall(r'[^\s"]+="[^"]*"|\S+', value.strip()):
        key, sep, raw = pair.partition('=')
        if not sep or not _NODE_CONFIG_KEY.match(key):
            raise ValueError('%r is not key=value with a key of a-z, 0-9, - and _' % pair)
        if not _NODE_CONFIG_VALUE.match(raw):
            raise ValueError('the value of %r must be a number, true, false or a "quoted string" of letters, '
                             'digits, spaces and ._:/-' % key)
        if raw.startswith('"'):
            result[key] = raw[1:-1]
        elif raw in ('true', 'false'):
            result[key] = raw == 'true'
        else:
            result[key] = float(raw) if '.' in raw else int(raw)
    return result


def _node_config(value):
    try:
        parse_node_config(value)
    except ValueError as exc:
        return str(exc)
    return None


SCHEMA = (
    Variable('FLOWER_VERSION', BOTH, 'text', '',
             'Flower release to run; empty means the release installed in the image',
             check=_version, allowed='a release installed in the image'),
    Variable('FL_TLS_ENABLED', BOTH, 'boolean', True,
             'TLS between SuperNodes and the SuperLink'),
    Variable('FL_AUTH_ENABLED', (SUPERLINK,), 'boolean', True,
             'Only SuperNodes whose keys the SuperLink registered may join (needs TLS)'),
    Variable('FL_SSL_CA_CERTFILE', BOTH, 'text64', '',
             'Operator CA certificate, base64 PEM (SuperLink: with FL_SSL_CERTFILE and FL_SSL_KEYFILE; '
             'SuperNode: the CA to trust instead of the one published in OneGate)',
             check=_pem_certificates, allowed='a base64-encoded PEM certificate'),
    Variable('FL_SSL_CERTFILE', (SUPERLINK,), 'text64', '',
             'Operator server certificate (with its chain), base64 PEM',
             check=_pem_certificates, allowed='a base64-encoded PEM certificate'),
    Variable('FL_SSL_KEYFILE', (SUPERLINK,), 'text64', '',
             'Operator server private key, base64 PEM without a passphrase',
             check=_pem_private_key, allowed='a base64-encoded PEM private key', secret=True),
    Variable('FL_CERT_EXTRA_SAN', (SUPERLINK,), 'text', '',
             'Extra names in the SuperLink certificate, comma separated IP:<address> or DNS:<name>',
             check=_sans, allowed='comma-separated IP:<address> or DNS:<name> entries'),
    Variable('FL_SUPERLINK_ADDRESS', (SUPERNODE,), 'text', '',
             'SuperLink Fleet API host:port; empty means discover it in the OneFlow service through OneGate',
             check=_host_port, allowed='host:port'),
    Variable('FL_NODE_CONFIG', (SUPERNODE,), 'text', '',
             'Node config for the ClientApps (key=value pairs separated by spaces); empty means '
             'partition-id and num-partitions from the node index in the service role',
             check=_node_config, allowed='key=value pairs'),
    Variable('FL_NUM_PARTITIONS', (SUPERNODE,), 'number', 0,
             'Number of data partitions for the automatic node config (the service template sets the role '
             'max_vms so that scaling moves no partition); 0 means the role cardinality at boot',
             minimum=0, maximum=10000),
    Variable('FL_DISCOVERY_TIMEOUT', (SUPERNODE,), 'number', 900,
             'Seconds to wait for the SuperLink to publish FL_READY in OneGate', minimum=10, maximum=86400),
    Variable('FL_EDGE_BACKOFF', (SUPERNODE,), 'list', 'exponential',
             'Retry pattern of the OneGate discovery', choices=('exponential', 'fixed')),
    Variable('FL_EDGE_MAX_BACKOFF', (SUPERNODE,), 'number', 60,
             'Longest wait between two OneGate discovery attempts, in seconds', minimum=1, maximum=3600),
)

BY_NAME = dict((v.context_name, v) for v in SCHEMA)


def variables_for(role):
    return [v for v in SCHEMA if role in v.roles]


def _decode_base64(value):
    try:
        return base64.b64decode(''.join(value.split()), validate=True).decode('utf-8')
    except (binascii.Error, ValueError, UnicodeDecodeError):
        return None


def _parse(var, raw):
    """(value, error) for the text of one CONTEXT variable; empty text means the default."""
    text = raw.strip() if isinstance(raw, str) else raw
    if text in (None, ''):
        return var.default, None
    if var.kind == 'boolean':
        if text.upper() in ('YES', 'NO'):
            return text.upper() == 'YES', None
        return None, 'allowed: YES or NO'
    if var.kind in ('number', 'number-float'):
        try:
            value = int(text) if var.kind == 'number' else float(text)
        except ValueError:
            return None, 'allowed: ' + var.allowed_text()
        if (var.minimum is not None and value < var.minimum) or (var.maximum is not None and value > var.maximum):
            return None, 'allowed: ' + var.allowed_text()
        return value, None
    if var.kind == 'list':
        return (text, None) if text in var.choices else (None, 'allowed: ' + var.allowed_text())
    if var.kind == 'text64':
        decoded = _decode_base64(text)
        if decoded is None:
            return None, 'it is not valid base64; allowed: ' + var.allowed_text()
        text = decoded
    if var.check is not None:
        problem = var.check(text)
        if problem:
            return None, '%s; allowed: %s' % (problem, var.allowed_text())
    return text, None


def _error(var, raw, reason):
    shown = '<secret>' if var.secret else ('<%d bytes of base64>' % len(raw) if var.kind == 'text64' else raw)
    return '%s=%r is invalid: %s' % (var.context_name, shown, reason)


def _cross_field_errors(role, values, installed_versions):
    errors = []
    tls = values.get('FL_TLS_ENABLED')
    version = values.get('FLOWER_VERSION')
    if version and installed_versions and version not in installed_versions:
        errors.append('%sFLOWER_VERSION=%r is not installed in this image (no downloads at boot); allowed: %s'
                      % (PREFIX, version, ', '.join(installed_versions)))
    if role == SUPERLINK:
        if values.get('FL_AUTH_ENABLED') and not tls:
            errors.append('%sFL_AUTH_ENABLED=YES needs %sFL_TLS_ENABLED=YES (SuperNode authentication runs over '
                          'TLS); allowed: set FL_TLS_ENABLED=YES or FL_AUTH_ENABLED=NO' % (PREFIX, PREFIX))
        operator = [n for n in ('FL_SSL_CA_CERTFILE', 'FL_SSL_CERTFILE', 'FL_SSL_KEYFILE') if values.get(n)]
        if operator and len(operator) != 3:
            missing = sorted(set(('FL_SSL_CA_CERTFILE', 'FL_SSL_CERTFILE', 'FL_SSL_KEYFILE')) - set(operator))
            errors.append('operator TLS files are all or none: %s set but %s empty'
                          % (', '.join(PREFIX + n for n in operator), ', '.join(PREFIX + n for n in missing)))
        if operator and not tls:
            errors.append('%sFL_SSL_* are set but %sFL_TLS_ENABLED=NO; allowed: enable TLS or leave them empty'
                          % (PREFIX, PREFIX))
    if role == SUPERNODE:
        if tls and values.get('FL_SUPERLINK_ADDRESS') and not values.get('FL_SSL_CA_CERTFILE'):
            errors.append('%sFL_SUPERLINK_ADDRESS=%r is static and TLS is on, so %sFL_SSL_CA_CERTFILE must hold '
                          'the SuperLink\'s CA (the node never trusts a SuperLink without it); allowed: set '
                          'FL_SSL_CA_CERTFILE, or leave FL_SUPERLINK_ADDRESS empty to discover both in OneGate'
                          % (PREFIX, values['FL_SUPERLINK_ADDRESS'], PREFIX))
    return errors


def validate(role, context, installed_versions=()):
    """Parse and check the role's variables in ``context`` (a dict of CONTEXT text).

    Returns ``(values, errors)``: values keyed by name without the prefix, every error at once.
    """
    values, errors = {}, []
    for var in variables_for(role):
        raw = context.get(var.context_name, '')
        value, problem = _parse(var, raw)
        if problem:
            errors.append(_error(var, raw, problem))
        else:
            values[var.name] = value
    if not errors:
        errors.extend(_cross_field_errors(role, values, list(installed_versions)))
    return values, errors


def user_inputs(role):
    """``{ONEAPP_NAME: 'M|O|type|...'}`` for a VM template of ``role``."""
    return dict((v.context_name, v.user_input()) for v in variables_for(role))


def context_references(role):
    """The CONTEXT section that passes each user input to the guest: ``{NAME: '$NAME'}``."""
    return dict((v.context_name, '$' + v.context_name) for v in variables_for(role))
