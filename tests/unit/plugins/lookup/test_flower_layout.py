# -*- coding: utf-8 -*-
# Copyright: opennebula.flower contributors
# Apache License 2.0 (see LICENSE or https://www.apache.org/licenses/LICENSE-2.0)
"""The lookup as a playbook sees it, and the defaults that read the default Flower release from it."""
from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

from ansible_collections.opennebula.flower.plugins.module_utils._flower_layouts import default_release
from tests.unit.plugins.lookup.through_ansible import lookup

DEFAULTS = ('roles/superlink/defaults/main.yml', 'roles/supernode/defaults/main.yml',
            'roles/appliance/defaults/main.yml', 'inventories/local/group_vars/all.yml')


def test_without_a_release_it_is_the_newest_entry_whose_release_every_default_takes():
    assert lookup("lookup('opennebula.flower.flower_layout')")['msg']['release'] == default_release()
    options = [option for path in DEFAULTS for option in ('-e', '@' + path)]
    versions = lookup('[superlink_flower_version, supernode_flower_version, appliance_flower_version, flower_version]',
                      *options)['msg']
    assert versions == [default_release()] * 4


def test_a_release_gets_its_entry_and_a_bad_one_names_the_variable():
    assert lookup("lookup('opennebula.flower.flower_layout', '1.31.2').api")['msg'] == 'grpc'
    result = lookup("lookup('opennebula.flower.flower_layout', '2.0.0', variable='superlink_flower_version')")
    assert 'superlink_flower_version=2.0.0 is not a supported Flower release; allowed: 1.42.x, 1.31.x' in result['msg']
