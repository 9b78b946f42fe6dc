# -*- coding: utf-8 -*-
# Copyright: opennebula.flower contributors
# Apache License 2.0 (see LICENSE or https://www.apache.org/licenses/LICENSE-2.0)
"""_one_image: the states an image is waited through (the rest runs against the simulator in tests/integration)."""

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

import pytest

from ansible_collections.opennebula.flower.plugins.module_utils._one_image import IMAGE_DELETED, IMAGE_READY


@pytest.mark.parametrize('state,verdict', [
    ('LOCKED', 'retry'), ('READY', 'success'), ('USED_PERS', 'success'), ('ERROR', 'failure'), ('ABSENT', 'failure'),
])
def test_image_ready_table(state, verdict):
    assert IMAGE_READY.classify(state) == verdict


def test_image_deleted_table():
    assert [IMAGE_DELETED.classify(s) for s in ('READY', 'ABSENT', 'ERROR')] == ['retry', 'success', 'failure']
