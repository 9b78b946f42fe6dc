# -*- coding: utf-8 -*-
# Copyright: opennebula.flower contributors
# Apache License 2.0 (see LICENSE or https://www.apache.org/licenses/LICENSE-2.0)
"""ONEAPP_FL_FRAMEWORK and ONEAPP_FL_USE_CASE: a choice among what the image baked in (nothing is downloaded at
boot), the SuperNode's as node config, the SuperLink's as train.yml's use-case defaults."""
from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

from pathlib import Path

import pytest

from ansible_collections.opennebula.flower.plugins.module_utils import _appliance_schema as schema
from ansible_collections.opennebula.flower.plugins.module_utils._appliance_context import appliance_config

REPO = Path(__file__).resolve().parents[4]
ALL = ['pytorch', 'tensorflow', 'sklearn']


def config(role, frameworks, **context):
    return appliance_config(role, dict(('ONEAPP_' + k, v) for k, v in context.items()), ['1.42.0'], frameworks)


def test_every_framework_offered_can_be_baked_into_an_image():
    baked = sorted(p.name[len('requirements-framework-'):-len('.txt')]
                   for p in (REPO / 'roles' / 'appliance' / 'files').glob('requirements-framework-*.txt'))
    assert sorted(schema.FRAMEWORKS) == baked


@pytest.mark.parametrize('value, use_case', [('none', ''), ('', ''), ('llm-fine-tuning', 'llm-fine-tuning'),
                                             ('anomaly-detection', 'anomaly-detection')])
def test_the_prior_appliances_use_case_names_are_accepted(value, use_case):
    values, errors = schema.validate(schema.SUPERLINK, {'ONEAPP_FL_USE_CASE': value}, ['1.42.0'], ALL)
    assert errors == [] and values['FL_USE_CASE'] == use_case


def requirement_pins(path):
    return set(line.strip() for line in path.read_text().splitlines() if line.strip() and not line.startswith('#'))


def test_the_images_pin_the_framework_versions_the_use_case_tests_run():
    tested = requirement_pins(REPO / 'requirements-frameworks.txt')
    for path in (REPO / 'roles' / 'appliance' / 'files').glob('requirements-framework-*.txt'):
        assert requirement_pins(path) <= tested, path.name


def test_a_supernode_uses_the_images_first_framework_unless_told_otherwise():
    result, errors = config(schema.SUPERNODE, ['sklearn', 'pytorch'])
    assert errors == [] and result['framework'] == 'sklearn'
    result, errors = config(schema.SUPERNODE, ['sklearn', 'pytorch'], FL_FRAMEWORK='pytorch')
    assert errors == [] and result['framework'] == 'pytorch'
    # An image that records no frameworks declares none: the node trains with whatever the run asks.
    result, errors = config(schema.SUPERNODE, [])
    assert errors == [] and result['framework'] == ''


@pytest.mark.parametrize('role', [schema.SUPERNODE, schema.SUPERLINK])
def test_a_framework_the_image_did_not_bake_is_refused_naming_what_it_holds(role):
    extra = {'FL_USE_CASE': 'image-classification'} if role == schema.SUPERLINK else {}
    result, errors = config(role, ['sklearn'], FL_FRAMEWORK='pytorch', **extra)
    assert result is None
    assert ("ONEAPP_FL_FRAMEWORK='pytorch' is not baked into this image (nothing is downloaded at boot); "
            "allowed: sklearn") in errors


def test_an_unknown_framework_is_refused_with_the_allowed_ones():
    _result, errors = config(schema.SUPERNODE, ALL, FL_FRAMEWORK='jax')
    assert errors == ["ONEAPP_FL_FRAMEWORK='jax' is invalid: allowed: one of pytorch, tensorflow, sklearn"]


def test_the_node_config_may_not_set_the_framework_behind_its_variable():
    _result, errors = config(schema.SUPERNODE, ALL, FL_NODE_CONFIG='partition-id=0 framework="pytorch"')
    assert len(errors) == 1 and 'ONEAPP_FL_NODE_CONFIG sets framework, which ONEAPP_FL_FRAMEWORK owns' in errors[0]


def test_a_superlink_use_case_becomes_train_ymls_defaults_with_its_framework():
    result, errors = config(schema.SUPERLINK, ALL, FL_USE_CASE='anomaly-detection', FL_NUM_ROUNDS='2')
    assert errors == []
    assert result['training']['use-case'] == 'anomaly-detection'
    assert result['training']['framework'] == result['framework'] == 'sklearn'
    assert result['training']['num-server-rounds'] == 2
    # The first of the use case's frameworks that the image holds.
    result, errors = config(schema.SUPERLINK, ['sklearn', 'tensorflow'], FL_USE_CASE='image-classification')
    assert errors == [] and result['training']['framework'] == 'tensorflow'
    # No use case: the digits app, no framework key.
    result, errors = config(schema.SUPERLINK, ['sklearn'])
    assert errors == [] and 'use-case' not in result['training'] and 'framework' not in result['training']


@pytest.mark.parametrize('context, message', [
    ({'FL_FRAMEWORK': 'sklearn'},
     'ONEAPP_FL_FRAMEWORK=sklearn chooses the framework of ONEAPP_FL_USE_CASE, which is empty'),
    ({'FL_USE_CASE': 'llm-fine-tuning', 'FL_FRAMEWORK': 'sklearn'},
     'ONEAPP_FL_FRAMEWORK=sklearn is not a framework of ONEAPP_FL_USE_CASE=llm-fine-tuning; allowed: pytorch'),
    ({'FL_USE_CASE': 'image-classification'},
     'ONEAPP_FL_USE_CASE=image-classification needs one of pytorch, tensorflow in the image, which holds sklearn'),
    ({'FL_USE_CASE': 'anomaly-detection', 'FL_STRATEGY': 'Krum'},
     'ONEAPP_FL_USE_CASE=anomaly-detection trains with FedAvg, but ONEAPP_FL_STRATEGY=Krum'),
])
def test_a_superlink_use_case_the_image_or_the_strategy_cannot_serve_is_refused(context, message):
    result, errors = config(schema.SUPERLINK, ['sklearn'], **context)
    assert result is None and any(message in error for error in errors), errors
