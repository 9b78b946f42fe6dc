# -*- coding: utf-8 -*-
# Copyright: opennebula.flower contributors
# Apache License 2.0 (see LICENSE or https://www.apache.org/licenses/LICENSE-2.0)
"""Fixtures for the OpenNebula module tests.

``backend`` runs a test against the simulator and, when ONE_URL (or ONEFLOW_URL), ONE_USERNAME and ONE_PASSWORD
are set, also against that real frontend (skipped otherwise). Tests that need the simulator's clock or fault
injection use ``sim``/``sim6`` directly.
"""

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

import contextlib
import os
import threading
import uuid

import pytest

from ansible_collections.opennebula.flower.plugins.module_utils._http import RetryPolicy
from ansible_collections.opennebula.flower.plugins.module_utils._one_xmlrpc import OneXMLRPCClient

try:
    from tests.unit.plugins.modules.conftest import run_module  # pylint: disable=unused-import
except ImportError:  # pragma: no cover - the shared harness is missing
    import json

    from ansible.module_utils import basic

    @pytest.fixture
    def run_module(capsys):
        def _run(module, args, check_mode=False, diff=False):
            module_args = dict(args, _ansible_check_mode=check_mode, _ansible_diff=diff)
            basic._ANSIBLE_ARGS = json.dumps({'ANSIBLE_MODULE_ARGS': module_args}).encode('utf-8')
            capsys.readouterr()
            with pytest.raises(SystemExit):
                module.main()
            return json.loads(capsys.readouterr().out)
        return _run

try:
    from tests.opennebula_sim import Simulator
except ImportError:  # pragma: no cover - the simulator is not there
    Simulator = None

# Simulated seconds per API request: state machines move while the modules poll, with no real waiting.
SIM_SECONDS_PER_REQUEST = 1.0
FAST_POLL = dict(poll_interval=0.001, max_poll_interval=0.005, wait_timeout=20)


def _start(version):
    if Simulator is None:
        pytest.skip('the OpenNebula simulator (tests/opennebula_sim) is not available')
    sim = Simulator(one_version=version)
    sim.start()
    sim.auto_advance(SIM_SECONDS_PER_REQUEST)
    return sim


@contextlib.contextmanager
def clock_running(simulator):
    """The simulator's clock runs (2 s every 50 ms) while a playbook waits between its polls."""
    stop = threading.Event()

    def tick():
        while not stop.wait(0.05):
            simulator.advance(2)
    clock = threading.Thread(target=tick, daemon=True)
    clock.start()
    try:
        yield simulator
    finally:
        stop.set()
        clock.join()


@pytest.fixture
def sim():
    simulator = _start('7.4.0')
    yield simulator
    simulator.stop()


@pytest.fixture
def sim6():
    simulator = _start('6.10.0')
    yield simulator
    simulator.stop()


def sim_args(simulator):
    return dict(api_url=simulator.xmlrpc_url, oneflow_url=simulator.oneflow_url, api_username=simulator.username,
                api_password=simulator.password)


class Backend:
    """Where a test runs: the simulator or a real frontend from the environment."""

    def __init__(self, kind, args, poll, simulator=None):
        self.kind = kind
        self.args = args
        self.poll = poll
        self.sim = simulator
        self.suffix = '' if simulator is not None else '-' + uuid.uuid4().hex[:8]

    def name(self, base):
        """Object names; unique per run on a real frontend so tests never touch existing objects."""
        return base + self.suffix

    def xmlrpc(self):
        url = self.args.get('api_url') or os.environ.get('ONE_URL')
        return OneXMLRPCClient(url, self.args.get('api_username') or os.environ['ONE_USERNAME'],
                               self.args.get('api_password') or os.environ['ONE_PASSWORD'],
                               retry=RetryPolicy(retries=0))


def real_frontend_configured():
    return bool((os.environ.get('ONE_URL') or os.environ.get('ONEFLOW_URL')) and os.environ.get('ONE_USERNAME')
                and os.environ.get('ONE_PASSWORD'))


@pytest.fixture(params=['sim', 'real'])
def backend(request):
    if request.param == 'real':
        if not real_frontend_configured():
            pytest.skip('no real frontend: set ONE_URL/ONEFLOW_URL, ONE_USERNAME and ONE_PASSWORD')
        # The modules read the connection from the environment themselves (env fallbacks).
        yield Backend('real', {}, dict(poll_interval=1.0, max_poll_interval=5.0, wait_timeout=900))
        return
    simulator = _start('7.4.0')
    try:
        yield Backend('sim', sim_args(simulator), dict(FAST_POLL), simulator)
    finally:
        simulator.stop()


@pytest.fixture
def clean_env(monkeypatch):
    """The simulator tests must not pick up a real frontend's credentials from the environment."""
    for name in ('ONE_URL', 'ONE_XMLRPC', 'ONE_USERNAME', 'ONE_PASSWORD', 'ONEFLOW_URL', 'ONEFLOW_USERNAME',
                 'ONEFLOW_PASSWORD', 'ONE_AUTH', 'ONE_VALIDATE_CERTS', 'ONE_CA_PATH'):
        monkeypatch.delenv(name, raising=False)
