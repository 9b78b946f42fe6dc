"""pytest fixtures. In a test directory's conftest.py:

    from tests.opennebula_sim.fixtures import one_sim, one_sim6

    __all__ = ["one_sim", "one_sim6"]  # deliberate re-exports, so linters see them as used

(or `pytest_plugins = ["tests.opennebula_sim.fixtures"]` in a conftest pytest treats as
initial, i.e. one in a directory given on the command line)."""

import pytest

from .server import Simulator


@pytest.fixture
def one_sim():
    """A started 7.4.0 simulator (host and network seeded), stopped after the test."""
    sim = Simulator(one_version="7.4.0").start()
    try:
        yield sim
    finally:
        sim.stop()


@pytest.fixture
def one_sim6():
    """The same with OneFlow's 6.x schema (vm_template / custom_attrs, roles merged by index)."""
    sim = Simulator(one_version="6.10.0").start()
    try:
        yield sim
    finally:
        sim.stop()
