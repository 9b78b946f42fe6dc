# -*- coding: utf-8 -*-
# Copyright: opennebula.flower contributors
# Apache License 2.0 (see LICENSE or https://www.apache.org/licenses/LICENSE-2.0)
"""The table of supported Flower releases: one version test, one answer per release; the pins are its releases."""
from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

import os
import re

import pytest

from ansible_collections.opennebula.flower.plugins.module_utils import _flower_layouts as layouts


def test_each_supported_minor_has_its_layout():
    assert layouts.layout('1.42.0') == {'minor': '1.42', 'release': '1.42.0', 'api': 'http',
                                        'control_on_fleet_port': True, 'health': True, 'fleet_proxy': True}
    assert layouts.layout('1.31.3')['api'] == 'grpc' and not layouts.layout('1.31.3')['fleet_proxy']


@pytest.mark.parametrize('release, why', [
    ('1.40.0', 'is not a supported Flower release; allowed: 1.42.x, 1.31.x'),
    ('1.42', 'is not a release number like 1.42.0'),
    ('v1.42.0', 'is not a release number like 1.42.0'),
])
def test_an_unusable_release_says_what_is_allowed(release, why):
    assert layouts.problem(release) == why
    with pytest.raises(ValueError, match='^%s %s' % (release, why.replace('.', r'\.').replace('(', r'\('))):
        layouts.layout(release)


def test_same_minor_is_what_speaks_the_same_protocol():
    assert layouts.same_minor('1.42.0', '1.42.7') and not layouts.same_minor('1.42.0', '1.31.0')


def test_the_default_is_the_newest_minors_release_whatever_the_order(monkeypatch):
    assert layouts.default_release() == '1.42.0'
    monkeypatch.setattr(layouts, 'LAYOUTS', {'1.9': {'release': '1.9.4'}, '1.10': {'release': '1.10.1'}})
    assert layouts.default_release() == '1.10.1'


@pytest.mark.parametrize('path', ['requirements-test.txt', 'images/requirements-appliance.txt'])
def test_each_pinned_flwr_is_the_release_the_table_names_for_its_minor(path):
    root = os.path.join(os.path.dirname(__file__), '..', '..', '..', '..')
    with open(os.path.join(root, path)) as handle:
        pins = re.findall(r'^flwr==(\S+)', handle.read(), re.MULTILINE)
    assert pins, 'no flwr pin in %s' % path
    for pin in pins:
        assert pin == layouts.layout(pin)['release'], '%s pins flwr==%s, the table %s' % (
            path, pin, layouts.layout(pin)['release'])
