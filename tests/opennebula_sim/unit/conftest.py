from tests.opennebula_sim.fixtures import one_sim, one_sim6  # noqa: F401  (fixtures)
