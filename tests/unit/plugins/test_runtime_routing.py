# -*- coding: utf-8 -*-
# Copyright: opennebula.flower contributors
# Apache License 2.0 (see LICENSE or https://www.apache.org/licenses/LICENSE-2.0)
"""meta/runtime.yml: a renamed module's old name leads to a module of this collection, with a deprecation."""

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

import os

import yaml

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), '..', '..', '..'))


def test_module_redirects_lead_to_modules_of_this_collection():
    with open(os.path.join(ROOT, 'meta', 'runtime.yml')) as handle:
        routes = yaml.safe_load(handle)['plugin_routing']['modules']
    assert routes['flower_enrollment']['redirect'] == 'opennebula.flower.flower_service_registrations'
    for old, route in routes.items():
        namespace, collection, new = route['redirect'].split('.')
        assert (namespace, collection) == ('opennebula', 'flower')
        assert os.path.isfile(os.path.join(ROOT, 'plugins', 'modules', new + '.py'))
        assert not os.path.exists(os.path.join(ROOT, 'plugins', 'modules', old + '.py'))
        assert route['deprecation']['removal_version'] and route['deprecation']['warning_text']
