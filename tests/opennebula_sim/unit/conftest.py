"""Registers the simulator's fixtures for the tests in this directory."""

from tests.opennebula_sim.fixtures import one_sim, one_sim6

# pytest collects fixtures from this module's namespace; __all__ marks them as deliberate re-exports.
__all__ = ["one_sim", "one_sim6"]
