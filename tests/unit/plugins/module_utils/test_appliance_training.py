# -*- coding: utf-8 -*-
# Copyright: opennebula.flower contributors
# Apache License 2.0 (see LICENSE or https://www.apache.org/licenses/LICENSE-2.0)
"""The SuperLink appliance's training variables: the run-config keys the appliance writes for train.yml, refused at
boot exactly where the Flower App (apps/digits) would refuse them before round 1."""
from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

import itertools
import sys
import tomllib
from pathlib import Path

import pytest

from ansible_collections.opennebula.flower.plugins.module_utils import _appliance_schema as schema
from ansible_collections.opennebula.flower.plugins.module_utils._appliance_context import (
    appliance_config, training_defaults)

REPO = Path(__file__).resolve().parents[4]
APP_DIR = REPO / 'apps' / 'digits'
if str(APP_DIR) not in sys.path:
    sys.path.insert(0, str(APP_DIR))

from digits import strategies  # noqa: E402  pylint: disable=wrong-import-position


def superlink(**context):
    return schema.validate(schema.SUPERLINK, dict(('ONEAPP_' + k, v) for k, v in context.items()), ['1.42.0'])


def app_run_config(**overrides):
    """The run config Flower hands the digits app: its pyproject.toml defaults under the run's overrides."""
    defaults = tomllib.loads((APP_DIR / 'pyproject.toml').read_text())['tool']['flwr']['app']['config']
    return dict(defaults, **overrides)


def test_unset_training_variables_leave_the_apps_defaults():
    values, errors = superlink()
    assert errors == [] and training_defaults(values) == {}
    assert schema.user_inputs(schema.SUPERLINK)['ONEAPP_FL_STRATEGY'].endswith(',QFedAvg|')  # no default of its own


def test_every_training_variable_becomes_its_run_config_key():
    values, errors = superlink(FL_NUM_ROUNDS='7', FL_STRATEGY='FedProx', FL_MIN_NODES='4', FL_PROXIMAL_MU='0.5',
                               FL_SERVER_LR='0.02', FL_CLIENT_LR='0.3', FL_NUM_MALICIOUS='1', FL_TRIM_BETA='0.1',
                               FL_DP_MODE='server-adaptive', FL_DP_NOISE_MULTIPLIER='0.2', FL_DP_CLIPPING_NORM='5',
                               FL_CHECKPOINT_INTERVAL='0', FL_CHECKPOINT_KEEP='2')
    assert errors == []
    assert training_defaults(values) == {
        'num-server-rounds': 7, 'strategy': 'FedProx', 'min-nodes': 4, 'proximal-mu': 0.5, 'server-lr': 0.02,
        'client-lr': 0.3, 'num-malicious-nodes': 1, 'trim-beta': 0.1, 'dp': 'server-adaptive',
        'dp-noise-multiplier': 0.2, 'dp-clipping-norm': 5.0, 'checkpoint-interval': 0, 'checkpoint-keep': 2}
    # The app accepts exactly what the appliance writes.
    settings = strategies.validate(app_run_config(**training_defaults(values)), available_nodes=4)
    assert settings['proximal_mu'] == 0.5
    built = strategies.build(settings, 4)
    assert type(built).__name__ == 'DifferentialPrivacyServerSideAdaptiveClipping' and built.clipping_norm == 5.0
    assert type(built.strategy).__name__ == 'FedProx'


def test_only_the_superlink_has_training_defaults():
    result, errors = appliance_config(schema.SUPERNODE, {'ONEAPP_FL_STRATEGY': 'NoSuch'}, ['1.42.0'])
    assert errors == [] and result['training'] == {}
    assert 'ONEAPP_FL_STRATEGY' not in schema.user_inputs(schema.SUPERNODE)
    result, errors = appliance_config(schema.SUPERLINK, {'ONEAPP_FL_NUM_ROUNDS': '2'}, ['1.42.0'])
    assert errors == [] and result['training']['num-server-rounds'] == 2


def test_empty_strings_from_oneflow_mean_the_defaults():
    values, errors = superlink(**dict((v.name, '') for v in schema.training_variables()))
    assert errors == [] and training_defaults(values) == {}


@pytest.mark.parametrize('name, value, allowed', [
    ('FL_STRATEGY', 'FedAvgX', 'one of FedAvg, FedProx, FedAdam, FedYogi, FedAdagrad, FedAvgM, FedMedian, Krum, '
                               'MultiKrum, Bulyan, FedTrimmedAvg, QFedAvg'),
    ('FL_NUM_ROUNDS', '0', 'an integer from 1 to 10000'),
    ('FL_NUM_ROUNDS', '2.5', 'an integer from 1 to 10000'),
    ('FL_MIN_NODES', '-1', 'an integer from 0 to 10000'),
    ('FL_PROXIMAL_MU', 'nan', 'a number >= 0'),
    ('FL_SERVER_LR', '-0.1', 'a number >= 0'),
    ('FL_CLIENT_LR', 'inf', 'a number >= 0'),
    ('FL_NUM_MALICIOUS', 'two', 'an integer from 0 to 1000'),
    ('FL_TRIM_BETA', '1.5', 'a number from 0 to 1'),
    ('FL_CHECKPOINT_INTERVAL', '-1', 'an integer from 0 to 10000'),
    ('FL_CHECKPOINT_KEEP', '0', 'an integer from 1 to 1000'),
])
def test_a_bad_value_names_the_variable_the_value_and_what_is_allowed(name, value, allowed):
    _values, errors = superlink(**{name: value})
    assert errors == ["ONEAPP_%s=%r is invalid: allowed: %s" % (name, value, allowed)]


def test_every_broken_rule_is_reported_at_once():
    _values, errors = superlink(FL_STRATEGY='Bulyan', FL_MIN_NODES='6', FL_NUM_MALICIOUS='1', FL_TRIM_BETA='7',
                                FL_NUM_ROUNDS='x')
    assert len(errors) == 3, errors
    assert errors[2] == ('ONEAPP_FL_STRATEGY=Bulyan with ONEAPP_FL_NUM_MALICIOUS=1 (f) needs ONEAPP_FL_MIN_NODES >= '
                         '4f+3 = 7, but ONEAPP_FL_MIN_NODES=6; allowed: more nodes, a smaller f or another strategy')


def test_a_use_case_refuses_the_digits_apps_dp_wrappers_at_boot():
    context = {'ONEAPP_FL_USE_CASE': 'anomaly-detection', 'ONEAPP_FL_DP_MODE': 'client-fixed'}
    _values, errors = schema.validate(schema.SUPERLINK, context, ['1.42.0'], ['sklearn'])
    assert errors == ["ONEAPP_FL_USE_CASE=anomaly-detection trains without differential privacy, but "
                      "ONEAPP_FL_DP_MODE=client-fixed; allowed: FL_DP_MODE=none, or an empty FL_USE_CASE for the "
                      "digits app's DP wrappers"]


def test_krum_is_checked_at_boot_only_with_an_explicit_minimum():
    assert superlink(FL_STRATEGY='Krum', FL_NUM_MALICIOUS='3')[1] == []   # train.yml checks the real count
    _values, errors = superlink(FL_STRATEGY='Krum', FL_NUM_MALICIOUS='1', FL_MIN_NODES='4')
    assert errors and 'needs ONEAPP_FL_MIN_NODES >= 2f+3 = 5' in errors[0]


# Every combination of the cross-field inputs that parse: the appliance refuses at boot exactly what the app
# would refuse before its first round (min-nodes set, so both know n).
@pytest.mark.parametrize('strategy', schema.STRATEGIES)
def test_the_boot_rules_are_the_apps_rules(strategy):
    for nodes, malicious, mu, client_lr, beta in itertools.product((1, 3, 5, 7, 11), (0, 1, 2), (0, 0.5), (0, 0.1),
                                                                   (0.2, 0.5)):
        context = dict(FL_STRATEGY=strategy, FL_MIN_NODES=str(nodes), FL_NUM_MALICIOUS=str(malicious),
                       FL_PROXIMAL_MU=str(mu), FL_CLIENT_LR=str(client_lr), FL_TRIM_BETA=str(beta))
        values, errors = superlink(**context)
        try:
            strategies.validate(app_run_config(**{
                'strategy': strategy, 'min-nodes': nodes, 'num-malicious-nodes': malicious, 'proximal-mu': mu,
                'client-lr': client_lr, 'trim-beta': beta}))
            app_refuses = False
        except strategies.ConfigError:
            app_refuses = True
        assert bool(errors) == app_refuses, (context, errors)
