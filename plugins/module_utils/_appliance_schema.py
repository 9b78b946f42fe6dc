# -*- coding: utf-8 -*-
# Copyright: opennebula.flower contributors
# Apache License 2.0 (see LICENSE or https://www.apache.org/licenses/LICENSE-2.0)
"""The one schema of the appliances' CONTEXT variables.

Everything about a variable lives here: its type, default, allowed values, the roles that read it, its
description and what it becomes (a role variable, a run-config key, a discovery setting, the OneGate attributes the
SuperLink publishes from it). From it come the validation at boot (every error at once), the role variables and
discovery settings ``_appliance_context`` returns, the ``user_inputs`` of the VM and OneFlow templates, and the
reference table in docs/appliance-context.md. Variables of the prior system that would do nothing here are not in
the schema; ``NOT_CARRIED_OVER`` says why.
"""

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

import base64
import binascii
import ipaddress
import math
import re

from ansible_collections.opennebula.flower.plugins.module_utils._flower_layouts import problem as release_problem
from ansible_collections.opennebula.flower.plugins.module_utils._training import (
    DP_MODES, FRAMEWORK_MODULES, STRATEGIES, USE_CASES as TRAINING_USE_CASES, problems)

PREFIX = 'ONEAPP_'
SUPERLINK = 'superlink'
SUPERNODE = 'supernode'
BOTH = (SUPERLINK, SUPERNODE)
# The frameworks an image can bake in (the appliance role's files/requirements-framework-*.txt).
FRAMEWORKS = tuple(FRAMEWORK_MODULES)
# The use cases of playbooks/train.yml and their frameworks, the default first.
USE_CASES = dict((name, spec['frameworks']) for name, spec in TRAINING_USE_CASES.items())

_HOSTNAME = re.compile(r'^(?=.{1,253}$)[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?(\.[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*$')
_NODE_CONFIG_KEY = re.compile(r'^[a-z][a-z0-9_-]{0,63}$')
_NODE_CONFIG_VALUE = re.compile(r'^(-?[0-9]+(\.[0-9]+)?|true|false|"[A-Za-z0-9 ._:/-]{0,128}")$')


class Variable(object):
    """One CONTEXT variable. ``check(value, allowed)`` returns an error text or None for a parsed value."""

    def __init__(self, name, roles, kind, default, description, choices=None, minimum=None, maximum=None,
                 check=None, allowed=None, secret=False, mandatory=False, run_config=None, unset=None,
                 role_var=None, convert=None, discovery=None, onegate=(), effect=None):
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
        self.run_config = run_config    # the run-config key a training variable sets (None: not a training one)
        self.unset = unset              # the choice that means "none", parsed as '' (the prior appliances' 'none')
        # The role variable it sets, without the role prefix: one name for every role in ``roles``, or
        # {role: name} where the roles name it differently.
        self.role_var = role_var
        self.convert = convert          # (value, image) -> the role variable's value; image: what the image holds
        self.discovery = discovery      # the OneGate discovery setting it sets (a SuperNode's)
        self.onegate = onegate          # the SuperLink's OneGate attributes that publish it
        self.effect = effect            # what it becomes besides the above, in words

    def role_variable(self, role):
        """The role variable this variable sets in ``role``, None for none."""
        name = self.role_var.get(role) if isinstance(self.role_var, dict) else self.role_var
        return '%s_%s' % (role, name) if name and role in self.roles else None

    def role_value(self, value, image):
        return self.convert(value, image) if self.convert else value

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
        if self.allowed:
            return self.allowed
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
        return 'text'


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
    why = release_problem(value)
    return 'it ' + why if why else None


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


def _parses(parse):
    """The check of a variable whose parser raises ValueError with the problem."""
    def check(value):
        try:
            parse(value)
        except ValueError as exc:
            return str(exc)
        return None
    return check


def _installed_if_empty(value, image):
    """empty means the release installed in the image"""
    return value or image['release']


def _as_node_config(value, image):
    """parsed into a mapping"""
    return parse_node_config(value)


def _as_subject_alt_names(value, image):
    """parsed into a list, after the addresses of the VM's other NICs"""
    return parse_subject_alt_names(value)


SCHEMA = (
    Variable('FLOWER_VERSION', BOTH, 'text', '',
             'Flower release to run; empty means the release installed in the image',
             check=_version, allowed='a release installed in the image', role_var='flower_version',
             convert=_installed_if_empty, onegate=('FL_VERSION',)),
    Variable('FL_LOG_LEVEL', BOTH, 'list', 'INFO',
             'Log level of the Flower service (FLWR_LOG_LEVEL in its journal); DEBUG may log sensitive details',
             choices=('DEBUG', 'INFO', 'WARNING', 'ERROR'),
             effect='`FLWR_LOG_LEVEL` of the Flower service (a systemd drop-in)'),
    Variable('FL_FRAMEWORK', BOTH, 'list', '',
             'ML framework, one baked into the image (nothing is downloaded at boot). SuperNode: what its ClientApps '
             "train with (node config framework); empty means the image's first. SuperLink: the training default "
             "for FL_USE_CASE (run config framework); empty means the use case's first that the image holds",
             choices=FRAMEWORKS, effect='SuperNode: node config `framework`; SuperLink: run config `framework`'),
    Variable('FL_TLS_ENABLED', BOTH, 'boolean', True,
             'TLS between SuperNodes and the SuperLink', role_var='tls_enabled', onegate=('FL_TLS',)),
    Variable('FL_AUTH_ENABLED', (SUPERLINK,), 'boolean', True,
             'Only SuperNodes whose keys the SuperLink registered may join (needs TLS)', role_var='auth_enabled',
             onegate=('FL_AUTH',)),
    Variable('FL_SSL_CA_CERTFILE', BOTH, 'text64', '',
             'Operator CA certificate, base64 PEM (SuperLink: with FL_SSL_CERTFILE and FL_SSL_KEYFILE; '
             'SuperNode: the CA to trust instead of the one published in OneGate)',
             check=_pem_certificates, allowed='a base64-encoded PEM certificate',
             role_var={SUPERLINK: 'tls_operator_ca_cert', SUPERNODE: 'superlink_ca_cert'}),
    Variable('FL_SSL_CERTFILE', (SUPERLINK,), 'text64', '',
             'Operator server certificate (with its chain), base64 PEM',
             check=_pem_certificates, allowed='a base64-encoded PEM certificate', role_var='tls_operator_cert'),
    Variable('FL_SSL_KEYFILE', (SUPERLINK,), 'text64', '',
             'Operator server private key, base64 PEM without a passphrase',
             check=_pem_private_key, allowed='a base64-encoded PEM private key', secret=True,
             role_var='tls_operator_key'),
    Variable('FL_CERT_EXTRA_SAN', (SUPERLINK,), 'text', '',
             'Extra names in the SuperLink certificate, comma separated IP:<address> or DNS:<name> (an operator '
             'certificate from FL_SSL_CERTFILE must already hold them)',
             check=_parses(parse_subject_alt_names),
             allowed='comma-separated IP:<address> or DNS:<name> entries', role_var='tls_subject_alt_names',
             convert=_as_subject_alt_names),
    Variable('FL_SUPERLINK_ADDRESS', (SUPERNODE,), 'text', '',
             'SuperLink Fleet API host:port; empty means discover it in the OneFlow service through OneGate',
             check=_host_port, allowed='host:port', role_var='superlink_address'),
    Variable('FL_NODE_CONFIG', (SUPERNODE,), 'text', '',
             'Node config for the ClientApps (key=value pairs separated by spaces); empty means '
             'partition-id and num-partitions from the node index in the service role',
             check=_parses(parse_node_config), allowed='key=value pairs', role_var='node_config',
             convert=_as_node_config),
    Variable('FL_NUM_PARTITIONS', (SUPERNODE,), 'number', 0,
             'Number of data partitions for the automatic node config (the service template sets the role '
             'max_vms so that scaling moves no partition); 0 means the role cardinality at boot',
             minimum=0, maximum=10000, discovery='num_partitions'),
    Variable('FL_DISCOVERY_TIMEOUT', (SUPERNODE,), 'number', 900,
             'Seconds to wait for the SuperLink to publish FL_READY in OneGate', minimum=10, maximum=86400,
             discovery='timeout'),
    Variable('FL_EDGE_BACKOFF', (SUPERNODE,), 'list', 'exponential',
             'Retry pattern of the OneGate discovery', choices=('exponential', 'fixed'), discovery='backoff'),
    Variable('FL_EDGE_MAX_BACKOFF', (SUPERNODE,), 'number', 60,
             'Longest wait between two OneGate discovery attempts, in seconds', minimum=1, maximum=3600,
             discovery='max_backoff'),
    # Training defaults: the run-config keys they name, written to training.json on the SuperLink, the defaults of
    # playbooks/train.yml there (its -e variables still win). Empty means the app's own default (its pyproject.toml);
    # the rules between them are the app's (_training), checked here at boot as far as the variables set go.
    Variable('FL_USE_CASE', (SUPERLINK,), 'list', 'none',
             'Training default: the use case whose Flower App train.yml runs, with FedAvg (docs/use-cases.md); '
             'none (or empty) means the digits demo app and its strategies', choices=('none',) + tuple(USE_CASES),
             unset='none', effect='run config `use-case`'),
    Variable('FL_NUM_ROUNDS', (SUPERLINK,), 'number', None,
             'Training default: federated rounds per run', minimum=1, maximum=10000, run_config='num-server-rounds'),
    Variable('FL_STRATEGY', (SUPERLINK,), 'list', None,
             'Training default: the aggregation strategy', choices=STRATEGIES, run_config='strategy'),
    Variable('FL_MIN_NODES', (SUPERLINK,), 'number', 0,
             'Training default: SuperNodes sampled at least per round for training and evaluation and waited for '
             'before the first round; 0 means every SuperNode the SuperLink enrolled (or sees online when '
             'FL_AUTH_ENABLED=NO)', minimum=0, maximum=10000, run_config='min-nodes'),
    Variable('FL_PROXIMAL_MU', (SUPERLINK,), 'number-float', None,
             'Training default: FedProx weight mu of the proximal term (> 0 with FedProx)', minimum=0,
             run_config='proximal-mu'),
    Variable('FL_SERVER_LR', (SUPERLINK,), 'number-float', None,
             "Training default: server learning rate of FedAdam, FedYogi, FedAdagrad (eta) and FedAvgM; 0 means "
             "Flower's default", minimum=0, run_config='server-lr'),
    Variable('FL_CLIENT_LR', (SUPERLINK,), 'number-float', None,
             "Training default: QFedAvg's client learning rate (> 0 with QFedAvg)", minimum=0, run_config='client-lr'),
    Variable('FL_NUM_MALICIOUS', (SUPERLINK,), 'number', None,
             'Training default: Byzantine SuperNodes that Krum, MultiKrum and Bulyan tolerate, f', minimum=0,
             maximum=1000, run_config='num-malicious-nodes'),
    Variable('FL_TRIM_BETA', (SUPERLINK,), 'number-float', None,
             'Training default: FedTrimmedAvg fraction cut from each end per coordinate (0 < beta < 0.5 with '
             'FedTrimmedAvg)', minimum=0, maximum=1, run_config='trim-beta'),
    Variable('FL_DP_MODE', (SUPERLINK,), 'list', None,
             "Training default: differential privacy, one of Flower's wrappers: fixed clipping on the server or the "
             "clients, or adaptive clipping on the server (docs/training.md)", choices=DP_MODES, run_config='dp'),
    Variable('FL_DP_NOISE_MULTIPLIER', (SUPERLINK,), 'number-float', None,
             'Training default: the DP noise multiplier (Gaussian noise stddev relative to the clipping norm)',
             minimum=0, run_config='dp-noise-multiplier'),
    Variable('FL_DP_CLIPPING_NORM', (SUPERLINK,), 'number-float', None,
             'Training default: the DP clipping norm (with adaptive clipping, the initial one; > 0)', minimum=0,
             run_config='dp-clipping-norm'),
    Variable('FL_CHECKPOINT_INTERVAL', (SUPERLINK,), 'number', None,
             'Training default: checkpoint the global model every N rounds; 0 means only after the last round',
             minimum=0, maximum=10000, run_config='checkpoint-interval'),
    Variable('FL_CHECKPOINT_KEEP', (SUPERLINK,), 'number', None,
             'Training default: checkpoints kept per run, the newest', minimum=1, maximum=1000,
             run_config='checkpoint-keep'),
)

# Prior-system variables (ONEAPP_ prefix) that are not in the schema, because here they would do nothing.
NOT_CARRIED_OVER = (
    ('FL_MIN_FIT_CLIENTS, FL_MIN_EVALUATE_CLIENTS, FL_MIN_AVAILABLE_CLIENTS',
     'The Flower App takes one minimum (run config min-nodes) for training, evaluation and availability; '
     'ONEAPP_FL_MIN_NODES sets it. Three values could not all take effect.'),
    ('FL_CHECKPOINT_ENABLED',
     'Checkpoints are always written: resume and playbooks/export.yml read them. '
     'ONEAPP_FL_CHECKPOINT_INTERVAL=0 keeps only the one after the last round.'),
    ('FL_CHECKPOINT_PATH',
     'Checkpoints live in the SuperLink state directory (/var/lib/flower/superlink/checkpoints); '
     'playbooks/export.yml copies models out.'),
    ('FL_GRPC_KEEPALIVE_TIME, FL_GRPC_KEEPALIVE_TIMEOUT',
     'Flower exposes no keepalive setting (flower-superlink and flower-supernode have no such flag, and Flower 1.42 '
     'speaks HTTP, not gRPC, on the Fleet API).'),
    ('FL_ISOLATION',
     'Only subprocess works: process isolation needs separately started SuperExec processes that the appliance '
     'does not run.'),
    ('FL_FLEET_API_ADDRESS',
     'The Fleet API is always on port 9092 of the VM (the firewall, the nginx proxy and the published '
     'FL_ENDPOINT follow the appliance role variable appliance_fleet_port, set when the image is built).'),
    ('FL_CONTROL_API_ADDRESS',
     'The Control API stays on the SuperLink loopback; it is never configurable from the network side.'),
    ('FL_DATABASE',
     'The SuperLink state database is always a file in its state directory, so SuperNodes reconnect after a '
     'restart; a path from the context would only add a way to lose it.'),
    ('FL_MAX_RETRIES, FL_MAX_WAIT_TIME',
     "The SuperNode retries forever (Flower's default) under systemd Restart=always; the prior 0 meant a single "
     'attempt, not unlimited.'),
    ('FL_LOG_FORMAT',
     'Flower has no setting for its log format (FLWR_LOG_LEVEL is its only logging setting).'),
    ('FL_METRICS_ENABLED, FL_METRICS_PORT',
     'Flower has no metrics endpoint; they land with the metrics feature.'),
    ('FL_GPU_ENABLED, FL_CUDA_VISIBLE_DEVICES, FL_GPU_MEMORY_FRACTION, FL_DCGM_ENABLED',
     'The appliances have no GPU support yet; they land with it.'),
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
        return ('' if var.unset is not None and var.default == var.unset else var.default), None
    if var.kind == 'boolean':
        if text.upper() in ('YES', 'NO'):
            return text.upper() == 'YES', None
        return None, 'allowed: YES or NO'
    if var.kind in ('number', 'number-float'):
        try:
            value = int(text) if var.kind == 'number' else float(text)
        except ValueError:
            return None, 'allowed: ' + var.allowed_text()
        if not math.isfinite(value) or (var.minimum is not None and value < var.minimum) or (
                var.maximum is not None and value > var.maximum) or (var.check is not None and var.check(value)):
            return None, 'allowed: ' + var.allowed_text()
        return value, None
    if var.kind == 'list':
        if text not in var.choices:
            return None, 'allowed: ' + var.allowed_text()
        return ('' if text == var.unset else text), None
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


def selected_framework(role, values, installed_frameworks):
    """The framework this appliance uses, '' for none: ONEAPP_FL_FRAMEWORK, else on a SuperNode the image's
    first, on a SuperLink the first of the use case's frameworks that the image holds."""
    if values.get('FL_FRAMEWORK'):
        return values['FL_FRAMEWORK']
    if role == SUPERNODE:
        return installed_frameworks[0] if installed_frameworks else ''
    wanted = USE_CASES.get(values.get('FL_USE_CASE'), ())
    return next((f for f in wanted if f in installed_frameworks), '')


def _framework_errors(role, values, installed_frameworks):
    errors = []
    framework, use_case = values.get('FL_FRAMEWORK'), values.get('FL_USE_CASE')
    baked = ', '.join(installed_frameworks) or 'none'
    if framework and framework not in installed_frameworks:
        errors.append('%sFL_FRAMEWORK=%r is not baked into this image (nothing is downloaded at boot); allowed: %s'
                      % (PREFIX, framework, baked))
    if role == SUPERNODE and 'framework' in parse_node_config(values.get('FL_NODE_CONFIG') or ''):
        errors.append('%sFL_NODE_CONFIG sets framework, which %sFL_FRAMEWORK owns; allowed: set FL_FRAMEWORK and '
                      'leave framework out of FL_NODE_CONFIG' % (PREFIX, PREFIX))
    if role != SUPERLINK:
        return errors
    if framework and not use_case:
        errors.append('%sFL_FRAMEWORK=%s chooses the framework of %sFL_USE_CASE, which is empty (the digits demo '
                      'app runs scikit-learn); allowed: set FL_USE_CASE or leave FL_FRAMEWORK empty'
                      % (PREFIX, framework, PREFIX))
    if use_case:
        wanted = USE_CASES[use_case]
        if framework and framework not in wanted:
            errors.append('%sFL_FRAMEWORK=%s is not a framework of %sFL_USE_CASE=%s; allowed: %s'
                          % (PREFIX, framework, PREFIX, use_case, ', '.join(wanted)))
        elif not framework and not selected_framework(role, values, installed_frameworks):
            errors.append('%sFL_USE_CASE=%s needs one of %s in the image, which holds %s; allowed: a use case of '
                          'the baked frameworks' % (PREFIX, use_case, ', '.join(wanted), baked))
        if values.get('FL_STRATEGY') not in (None, 'FedAvg'):
            errors.append('%sFL_USE_CASE=%s trains with FedAvg, but %sFL_STRATEGY=%s; allowed: FL_STRATEGY=FedAvg, '
                          'or an empty FL_USE_CASE for the digits app\'s strategies'
                          % (PREFIX, use_case, PREFIX, values['FL_STRATEGY']))
        if values.get('FL_DP_MODE') not in (None, 'none'):
            errors.append('%sFL_USE_CASE=%s trains without differential privacy, but %sFL_DP_MODE=%s; allowed: '
                          'FL_DP_MODE=none, or an empty FL_USE_CASE for the digits app\'s DP wrappers'
                          % (PREFIX, use_case, PREFIX, values['FL_DP_MODE']))
    return errors


def training_variables():
    """The variables that set a run-config key of the Flower App."""
    return [v for v in SCHEMA if v.run_config]


def training_config(values):
    """The run-config keys the operator set (the app's defaults fill the rest); min-nodes 0 (every enrolled
    SuperNode) is known only when training starts, so it is left out."""
    config = dict((v.run_config, values[v.name]) for v in training_variables() if values.get(v.name) is not None)
    if not config.get('min-nodes'):
        config.pop('min-nodes', None)
    return config


def _training_errors(values):
    """The app's training rules (_training) on the variables that parsed, each named by its CONTEXT variable."""
    names = dict((v.run_config, v.context_name) for v in training_variables())
    return problems(training_config(values), label=lambda key: names.get(key, key))


def validate(role, context, installed_versions=(), installed_frameworks=()):
    """Parse and check the role's variables in ``context`` (a dict of CONTEXT text) against what the image holds
    (its Flower releases and baked frameworks, each the default first).

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
        errors.extend(_framework_errors(role, values, list(installed_frameworks)))
    if role == SUPERLINK:
        errors.extend(_training_errors(values))
    return values, errors


def user_inputs(role):
    """``{ONEAPP_NAME: 'M|O|type|...'}`` for a VM template of ``role``."""
    return dict((v.context_name, v.user_input()) for v in variables_for(role))


def context_references(role):
    """The CONTEXT section that passes each user input to the guest: ``{NAME: '$NAME'}``."""
    return dict((v.context_name, '$' + v.context_name) for v in variables_for(role))
