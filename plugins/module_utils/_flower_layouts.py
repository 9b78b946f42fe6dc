# -*- coding: utf-8 -*-
# Copyright: opennebula.flower contributors
# Apache License 2.0 (see LICENSE or https://www.apache.org/licenses/LICENSE-2.0)
"""The Flower releases the collection supports, by major.minor, and how each one is laid out on the network.

The one table the roles' templates and readiness checks, the appliance role, the CONTEXT schema and the
SuperNodes' discovery read (roles through the ``opennebula.flower.flower_layout`` lookup). Supporting a new minor
is one entry here and its pins. Measured behaviour: ../shared/reference/flower-runtime.md.
"""

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

import re

RELEASE = re.compile(r'^[0-9]+\.[0-9]+\.[0-9]+$')

# release: the release of that minor the collection pins (requirements-test.txt, images/requirements-appliance.txt)
#   and tests; the newest minor's is the default wherever no release is given (default_release);
# api: 'http' serves Fleet, Control and ServerAppIo on one SuperLink port (flower-superlink --host/--port), 'grpc'
#   a port per API (--fleet-api-address, --control-api-address, --serverappio-api-address);
# control_on_fleet_port: the Control API answers on the Fleet port, so clients use it;
# health: the SuperLink answers GET /health on the Fleet port (readiness is checked there, else on Control);
# fleet_proxy: the Fleet port also serves Control, so an appliance exposes only the Fleet paths, through nginx.
LAYOUTS = {
    '1.42': {'release': '1.42.0', 'api': 'http', 'control_on_fleet_port': True, 'health': True, 'fleet_proxy': True},
    '1.31': {'release': '1.31.0', 'api': 'grpc', 'control_on_fleet_port': False, 'health': False, 'fleet_proxy': False},
}


def minor(release):
    """'1.42.0' -> '1.42'."""
    return '.'.join(str(release).split('.')[:2])


def same_minor(release_a, release_b):
    """Whether two releases speak the same protocol (equal major.minor)."""
    return minor(release_a) == minor(release_b)


def default_release():
    """The release used where none is given: the newest supported minor's."""
    newest = max(LAYOUTS, key=lambda key: tuple(int(part) for part in key.split('.')))
    return LAYOUTS[newest]['release']


def supported():
    """The supported releases as an operator reads them: '1.42.x, 1.31.x'."""
    return ', '.join(key + '.x' for key in LAYOUTS)


def problem(release):
    """Why ``release`` cannot be used (a phrase: 'is not ...'), or None."""
    if not RELEASE.match(str(release)):
        return 'is not a release number like 1.42.0'
    if minor(release) not in LAYOUTS:
        return 'is not a supported Flower release; allowed: ' + supported()
    return None


def layout(release):
    """The layout of ``release`` (with its ``minor``); ValueError naming what is allowed."""
    why = problem(release)
    if why:
        raise ValueError('%s %s' % (release, why))
    return dict(LAYOUTS[minor(release)], minor=minor(release))
