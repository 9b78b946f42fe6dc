# -*- coding: utf-8 -*-
# Copyright: opennebula.flower contributors
# Apache License 2.0 (see LICENSE or https://www.apache.org/licenses/LICENSE-2.0)
"""The table of supported Flower releases: one version test, one answer per release."""
from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

import pytest

from ansible_collections.opennebula.flower.plugins.module_utils import _flower_layouts as layouts


def test_each_supported_minor_has_its_layout():
    assert layouts.layout('1.42.0') == {'minor': '1.42', 'api': 'http', 'control_on_fleet_port': True,
                                        'health': True, 'fleet_proxy': True}
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
