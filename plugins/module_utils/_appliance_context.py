# -*- coding: utf-8 -*-
# Copyright: opennebula.flower contributors
# Apache License 2.0 (see LICENSE or https://www.apache.org/licenses/LICENSE-2.0)
"""Reading an appliance's OpenNebula context and turning it into role variables.

Sources, first found wins:
  1. ``context.sh`` and ``token.txt`` of the CONTEXT CD-ROM (or of a directory with the same files, which is
     how containers get their context), read as text: never sourced by a shell;
  2. ``/var/run/one-context/one_env``, written by one-context when it is installed.
Without one-context the module writes an equivalent ``one_env`` (0400) so the OneGate modules find their
endpoint, VM id and token where they always look.
"""

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

import os

from ansible_collections.opennebula.flower.plugins.module_utils._appliance_schema import (
    SUPERLINK, selected_framework, training_config, validate, variables_for)
from ansible_collections.opennebula.flower.plugins.module_utils._onegate import parse_one_env

ONE_ENV_HEAD = ('TOKENTXT', 'VMID', 'ONEGATE_ENDPOINT')


class ContextNotFound(Exception):
    pass


def _read(path):
    with open(path) as handle:
        return handle.read()


def read_context(one_env_path, context_dirs, reader=_read, exists=os.path.exists):
    """Returns ``(context, source)``; context holds every variable, with TOKENTXT when a token exists.

    The context files win over one_env: they are what OpenNebula gave this boot, while a one_env may be the
    one this module wrote at an earlier boot.
    """
    for directory in context_dirs:
        script = os.path.join(directory, 'context.sh')
        if exists(script):
            context = parse_one_env(reader(script))
            token = os.path.join(directory, 'token.txt')
            if exists(token):
                context['TOKENTXT'] = reader(token).strip()
            return context, script
    if exists(one_env_path):
        return parse_one_env(reader(one_env_path)), one_env_path
    raise ContextNotFound('no OpenNebula context found: neither context.sh in %s nor %s'
                          % (', '.join(context_dirs) or '(no directories)', one_env_path))


def render_one_env(context):
    """one_env as one-context's loc-16-gen-env writes it: ``export KEY="value"`` lines."""
    def export(key, value):
        escaped = str(value).replace('\\', '\\\\').replace('"', '\\"').replace('$', '\\$').replace('`', '\\`')
        return 'export %s="%s"\n' % (key, escaped)
    lines = [export(k, context.get(k, '')) for k in ONE_ENV_HEAD]
    lines += [export(k, context[k]) for k in sorted(context) if k not in ONE_ENV_HEAD]
    return ''.join(lines)


def vm_addresses(context):
    """The VM's IPv4 addresses from ETH<n>_IP, in NIC order."""
    nics = sorted((k for k in context if k.startswith('ETH') and k.endswith('_IP') and k[3:-3].isdigit()),
                  key=lambda k: int(k[3:-3]))
    return [context[k] for k in nics if context[k]]


def role_vars(role, values, context, installed_version):
    """The role variables the schema's variables set, with what comes from the VM rather than a variable: the
    SuperLink advertises its first NIC's address and its certificate names the other NICs' too."""
    image = {'release': installed_version}
    result = dict((v.role_variable(role), v.role_value(values[v.name], image))
                  for v in variables_for(role) if v.role_variable(role))
    if role == SUPERLINK:
        addresses = vm_addresses(context)
        result['superlink_tls_subject_alt_names'] = addresses[1:] + result['superlink_tls_subject_alt_names']
        result['superlink_advertised_host'] = addresses[0] if addresses else context.get('HOSTNAME', '127.0.0.1')
    return result


def training_defaults(values, framework=''):
    """The SuperLink's training variables as run-config keys, the defaults of playbooks/train.yml on it, with
    ``use-case`` and its ``framework`` when ONEAPP_FL_USE_CASE names one."""
    config = training_config(values)
    if values['FL_USE_CASE']:
        config.update({'use-case': values['FL_USE_CASE'], 'framework': framework})
    return config


def discovery_settings(role, values):
    return dict((v.discovery, values[v.name]) for v in variables_for(role) if v.discovery)


def appliance_config(role, context, installed_versions, installed_frameworks=()):
    """Validate the context for ``role`` against what the image holds; returns ``(result, errors)``.

    The result holds the operator's TLS key when one is given (the role needs it), so the task that returns it
    runs with no_log; a secret is never part of an error.
    """
    values, errors = validate(role, context, installed_versions, installed_frameworks)
    if errors:
        return None, errors
    installed = installed_versions[0] if installed_versions else ''
    framework = selected_framework(role, values, list(installed_frameworks))
    variables = role_vars(role, values, context, installed)
    result = {
        'role_vars': variables,
        'discovery': discovery_settings(role, values),
        'training': training_defaults(values, framework) if role == SUPERLINK else {},
        'vm_id': context.get('VMID', ''),
        'service_id': context.get('SERVICE_ID', ''),
        'addresses': vm_addresses(context),
        'onegate': bool(context.get('ONEGATE_ENDPOINT') and context.get('TOKENTXT')),
        'flower_version': variables[role + '_flower_version'],
        'log_level': values['FL_LOG_LEVEL'],
        'framework': framework,
    }
    return result, errors
