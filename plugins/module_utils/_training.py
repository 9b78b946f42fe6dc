# -*- coding: utf-8 -*-
# Copyright: opennebula.flower contributors
# Apache License 2.0 (see LICENSE or https://www.apache.org/licenses/LICENSE-2.0)
"""Training settings of the collection's Flower Apps, written once: the strategies and DP modes, each run-config
key's type, and the rules a run config must satisfy before round 1.

Plain Python with no imports, read in three places: the digits app's ServerApp (``apps/digits/digits/training.py``
links to this file), ``flower_run`` before it submits a run (so ``train.yml``), and the SuperLink appliance's CONTEXT
check at boot. The defaults are the app's own run config (its ``pyproject.toml``, which Flower merges under every
run's overrides); a rule is checked when the keys it reads are present, so a partial config (the CONTEXT variables
an operator set) is checked as far as it goes. ``label`` turns a key into the name the user wrote (a CONTEXT
variable, a playbook variable), so that every message names what to change, its value and what is allowed.
"""

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

STRATEGIES = ('FedAvg', 'FedProx', 'FedAdam', 'FedYogi', 'FedAdagrad', 'FedAvgM', 'FedMedian', 'Krum', 'MultiKrum',
              'Bulyan', 'FedTrimmedAvg', 'QFedAvg')
# Flower's differential-privacy wrappers: fixed clipping on the server or the clients, adaptive clipping on the server.
DP_MODES = ('none', 'server-fixed', 'client-fixed', 'server-adaptive')
# Strategies that tolerate poisoned updates (tests attack them).
ROBUST = ('FedMedian', 'Krum', 'MultiKrum', 'Bulyan', 'FedTrimmedAvg')
# Byzantine bounds: the cohort n must be at least factor * f + 3.
BYZANTINE = {'Krum': 2, 'MultiKrum': 2, 'Bulyan': 4}

# The Python modules each framework needs in Flower's virtualenv (nothing is installed at run time).
FRAMEWORK_MODULES = {'pytorch': ('torch',), 'tensorflow': ('tensorflow',), 'sklearn': ('sklearn',)}
# Use cases (docs/use-cases.md): the app under apps/ each runs, with FedAvg, on one of its frameworks (the default
# first), and the modules it needs beyond its framework's.
USE_CASES = {
    'image-classification': {'app': 'image_classification', 'frameworks': ('pytorch', 'tensorflow'), 'modules': ()},
    'anomaly-detection': {'app': 'anomaly_detection', 'frameworks': ('sklearn', 'pytorch'), 'modules': ()},
    'llm-fine-tuning': {'app': 'llm_finetune', 'frameworks': ('pytorch',), 'modules': ('transformers', 'peft')},
}

# Run-config key -> (name in the parsed settings, type).
SETTINGS = {
    'strategy': ('strategy', str),
    'num-server-rounds': ('num_rounds', int),
    'min-nodes': ('min_nodes', int),
    'fraction-train': ('fraction_train', float),
    'proximal-mu': ('proximal_mu', float),
    'server-lr': ('server_lr', float),
    'server-momentum': ('server_momentum', float),
    'server-tau': ('server_tau', float),
    'num-malicious-nodes': ('num_malicious', int),
    'multikrum-select': ('multikrum_select', int),
    'trim-beta': ('trim_beta', float),
    'qfedavg-q': ('q', float),
    'client-lr': ('client_lr', float),
    'dp': ('dp', str),
    'dp-noise-multiplier': ('dp_noise_multiplier', float),
    'dp-clipping-norm': ('dp_clipping_norm', float),
    'dp-target-quantile': ('dp_target_quantile', float),
    'dp-clip-norm-lr': ('dp_clip_norm_lr', float),
    'secagg': ('secagg', bool),
    'checkpoint-interval': ('checkpoint_interval', int),
    'checkpoint-keep': ('checkpoint_keep', int),
}

SECAGG_UNAVAILABLE = (
    "SecAgg+ is not available with Flower's Message-API strategies: Flower ships it only as "
    "flwr.server.workflow.SecAggPlusWorkflow, which needs the legacy ServerApp (LegacyContext, DefaultWorkflow, "
    "flwr.server.strategy) and a legacy FitRes reply from flwr.client.mod.secaggplus_mod; see docs/training.md"
)


class ConfigError(ValueError):
    """A run config that breaks a rule; the message names the setting, its value and what is allowed."""


def _typed(key, value, kind, label):
    if kind is str:
        return str(value).strip()
    if kind is bool:
        if isinstance(value, bool):
            return value
        text = str(value).strip().lower()
        if text in ('true', '1', 'yes'):
            return True
        if text in ('false', '0', 'no', ''):
            return False
        raise ConfigError('%s=%r is not a boolean; allowed: true, false' % (label(key), value))
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        try:
            value = kind(str(value).strip())
        except ValueError:
            raise ConfigError('%s=%r is not a%s' % (label(key), value, 'n integer' if kind is int else ' number'))
    if kind is int and value != int(value):
        raise ConfigError('%s=%r is not an integer' % (label(key), value))
    return kind(value)


def typed_like(overrides, defaults):
    """``overrides`` with each text value converted to the type of the key's default (``-e key=5`` from a command
    line is text); a value that does not convert is left as it is, for ``problems`` to name."""
    result = {}
    for key, value in overrides.items():
        default = defaults.get(key)
        if isinstance(value, str) and isinstance(default, (bool, int, float)):
            try:
                value = _typed(key, value, bool if isinstance(default, bool) else type(default), str)
            except ConfigError:
                pass
        result[key] = value
    return result


def parse(config, label=str):
    """The training settings present in ``config`` (run-config keys), typed and named as in ``SETTINGS``.

    Returns ``(settings, errors)``; keys this module does not know are left to the app.
    """
    settings, errors = {}, []
    for key, (name, kind) in SETTINGS.items():
        if key in config and config[key] is not None:
            try:
                settings[name] = _typed(key, config[key], kind, label)
            except ConfigError as err:
                errors.append(str(err))
    return settings, errors


def problems(config, available_nodes=None, label=str):
    """Every rule ``config`` breaks, as messages; rules whose keys are absent are skipped.

    ``available_nodes`` is the number of SuperNodes that can take part (None when unknown: that rule is skipped).
    The per-round cohort is at least min-nodes, so the Byzantine bounds are checked against min-nodes.
    """
    s, errors = parse(config, label)
    name, n, f = s.get('strategy'), s.get('min_nodes'), s.get('num_malicious')

    def fails(message, *args):
        errors.append(message % args)

    if name is not None and name not in STRATEGIES:
        fails('%s=%r is not a supported strategy; allowed: %s', label('strategy'), name, ', '.join(STRATEGIES))
    if s.get('num_rounds', 1) < 1:
        fails('%s=%d must be at least 1', label('num-server-rounds'), s['num_rounds'])
    if n is not None and n < 1:
        fails('%s=%d must be at least 1', label('min-nodes'), n)
    if n is not None and available_nodes is not None and n > available_nodes:
        fails('%s=%d is more than the %d SuperNodes available; allowed: 1..%d', label('min-nodes'), n,
              available_nodes, available_nodes)
    if not 0.0 < s.get('fraction_train', 1.0) <= 1.0:
        fails('%s=%s must be in (0, 1]', label('fraction-train'), s['fraction_train'])
    if (f or 0) < 0:
        fails('%s=%d must be 0 or more', label('num-malicious-nodes'), f)
    if name == 'FedProx' and s.get('proximal_mu', 1) <= 0:
        fails('%s=FedProx needs %s > 0 (0 would make it FedAvg), but %s=%s', label('strategy'), label('proximal-mu'),
              label('proximal-mu'), s['proximal_mu'])
    if name in BYZANTINE and n is not None and f is not None and n < BYZANTINE[name] * f + 3:
        fails('%s=%s with %s=%d (f) needs %s >= %df+3 = %d, but %s=%d; allowed: more nodes, a smaller f or '
              'another strategy', label('strategy'), name, label('num-malicious-nodes'), f, label('min-nodes'),
              BYZANTINE[name], BYZANTINE[name] * f + 3, label('min-nodes'), n)
    if name == 'MultiKrum' and n is not None and 'multikrum_select' in s \
            and not 1 <= s['multikrum_select'] <= max(n - (f or 0), 1):
        fails('%s=%d must be in 1..min-nodes-num-malicious-nodes = 1..%d', label('multikrum-select'),
              s['multikrum_select'], max(n - (f or 0), 1))
    if name == 'FedTrimmedAvg' and not 0.0 < s.get('trim_beta', 0.2) < 0.5:
        fails('%s=%s must be in (0, 0.5)', label('trim-beta'), s['trim_beta'])
    if name == 'QFedAvg' and s.get('q', 0) < 0:
        fails('%s=%s must be >= 0', label('qfedavg-q'), s['q'])
    if name == 'QFedAvg' and s.get('client_lr', 1) <= 0:
        fails('%s=QFedAvg needs %s > 0 (QFedAvg steps with it), but %s=%s', label('strategy'), label('client-lr'),
              label('client-lr'), s['client_lr'])
    for key, attr in (('server-lr', 'server_lr'), ('server-tau', 'server_tau')):
        if s.get(attr, 0) < 0:
            fails("%s=%s must be >= 0 (0 = Flower's default)", label(key), s[attr])
    if name == 'FedAvgM' and not 0.0 <= s.get('server_momentum', 0) < 1.0:
        fails('%s=%s must be in [0, 1)', label('server-momentum'), s['server_momentum'])
    dp = s.get('dp', 'none')
    if dp not in DP_MODES:
        fails('%s=%r is not a DP mode; allowed: %s', label('dp'), dp, ', '.join(DP_MODES))
    elif dp != 'none':
        if s.get('dp_noise_multiplier', 0) < 0:
            fails('%s=%s must be >= 0', label('dp-noise-multiplier'), s['dp_noise_multiplier'])
        if s.get('dp_clipping_norm', 1) <= 0:
            fails('%s=%s must be > 0', label('dp-clipping-norm'), s['dp_clipping_norm'])
        if s.get('fraction_train', 1.0) != 1.0:
            fails("%s=%s needs %s=1.0 (Flower's DP wrappers expect a fixed cohort; got %s)", label('dp'), dp,
                  label('fraction-train'), s['fraction_train'])
    if dp == 'server-adaptive':
        if not 0.0 < s.get('dp_target_quantile', 0.5) < 1.0:
            fails('%s=%s must be in (0, 1)', label('dp-target-quantile'), s['dp_target_quantile'])
        if s.get('dp_clip_norm_lr', 1) <= 0:
            fails('%s=%s must be > 0', label('dp-clip-norm-lr'), s['dp_clip_norm_lr'])
    if s.get('secagg'):
        fails('%s=true: %s; allowed: false', label('secagg'), SECAGG_UNAVAILABLE)
    if s.get('checkpoint_interval', 0) < 0:
        fails('%s=%d must be >= 0 (0 = only after the last round)', label('checkpoint-interval'),
              s['checkpoint_interval'])
    if s.get('checkpoint_keep', 1) < 1:
        fails('%s=%d must be >= 1', label('checkpoint-keep'), s['checkpoint_keep'])
    return errors


def validate(config, available_nodes=None, label=str):
    """The parsed settings of ``config``, or ConfigError listing every broken rule at once."""
    errors = problems(config, available_nodes, label)
    if errors:
        raise ConfigError('; '.join(errors))
    return parse(config, label)[0]
